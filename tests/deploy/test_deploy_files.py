"""Static checks of deploy/: what cannot run here (systemd as PID 1, the Docker engine) is
checked through parsers — `systemd-analyze verify` on the units, the compose file's
topology read with PyYAML (this machine's docker client has no compose plugin, so
`docker compose config` cannot run here) — and against the hub's own settings."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.config import Settings, load_settings_file
from devtools.nginx_site import MARKED, SITE_FILE

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
ENV_EXAMPLE = DEPLOY / "hub.env.example"
SHIPPED_ROOT = "/opt/tongdai1022"
WEB_PORTS = ("8101", "8102")  # the web instances of tongdai1022.target = the site's upstream
SOURCES = [p for d in ("bot", "connectors", "storage", "faq", "handoff") for p in (ROOT / d).rglob("*.py")]


def documented(name: str) -> bool:
    """A setting is README's (its settings table) or read by the hub's code."""
    if f"`{name}`" in (ROOT / "README.md").read_text(encoding="utf-8"):
        return True
    return any(f'"{name}"' in p.read_text(encoding="utf-8") for p in SOURCES)


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections, each a list of (key, value) in order (keys repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"{path.name}: {line!r}"
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def require_systemd_analyze() -> str:
    binary = shutil.which("systemd-analyze")
    if binary is None:
        message = "systemd-analyze is not installed (Debian: systemd)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " — required under CI", pytrace=False)
        pytest.skip(message)
    return binary


def _verify(binary: str, files: list[Path]) -> str:
    result = subprocess.run(
        [binary, "verify", "--man=no", *map(str, files)], capture_output=True, text=True, timeout=60
    )
    return f"rc={result.returncode}\n{result.stdout}{result.stderr}".strip()


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Each unit, its paths pointed at this checkout (the binaries must exist), its templates
    instantiated as tongdai1022.target does, through `systemd-analyze verify`: no warning."""
    binary = require_systemd_analyze()
    files = []
    for path in sorted(UNITS.iterdir()):
        text = path.read_text(encoding="utf-8").replace(SHIPPED_ROOT, str(ROOT))
        names = [path.name]
        if path.name == "tongdai1022-web@.service":
            names = [f"tongdai1022-web@{port}.service" for port in WEB_PORTS]
        elif path.name == "tongdai1022-worker@.service":
            names = ["tongdai1022-worker@1.service", "tongdai1022-worker@2.service"]
        for name in names:
            (tmp_path / name).write_text(text, encoding="utf-8")
            files.append(tmp_path / name)
    assert _verify(binary, files) == "rc=0"
    # and it does complain: an unknown directive and a missing binary are reported
    bad = tmp_path / "bad.service"
    bad.write_text("[Service]\nExecStart=/nonexistent/python\nRestartt=always\n", encoding="utf-8")
    complaint = _verify(binary, [bad])
    assert "Restartt" in complaint and "/nonexistent/python" in complaint


def test_units_run_each_role_hardened_and_migrate_once() -> None:
    web = unit(UNITS / "tongdai1022-web@.service")
    worker = unit(UNITS / "tongdai1022-worker@.service")
    rasa = unit(UNITS / "tongdai1022-rasa.service")
    migrate = unit(UNITS / "tongdai1022-migrate.service")
    assert values(web["Service"], "ExecStart") == [
        f"{SHIPPED_ROOT}/.venv/bin/python -m bot serve --role web --host 127.0.0.1 --port %i"
    ]
    assert values(worker["Service"], "ExecStart") == [
        f"{SHIPPED_ROOT}/.venv/bin/python -m bot serve --role worker"
    ]
    assert values(migrate["Service"], "ExecStart") == [f"{SHIPPED_ROOT}/.venv/bin/python -m bot migrate"]
    assert values(migrate["Service"], "Type") == ["oneshot"]
    for name, u in {"web": web, "worker": worker, "rasa": rasa, "migrate": migrate}.items():
        service = dict(u["Service"])
        assert service["User"] == "tongdai1022" and service["NoNewPrivileges"] == "yes", name
        assert service["ProtectSystem"] == "strict" and service["CapabilityBoundingSet"] == "", name
        assert values(u["Service"], "EnvironmentFile") == ["/etc/tongdai1022/hub.env"], name
        if name != "migrate":
            assert service["Restart"] == "always", name
        # migrations run in the oneshot unit only; web and workers wait for it
        assert "ExecStartPre" not in service, name
    for u in (web, worker):
        assert "tongdai1022-migrate.service" in values(u["Unit"], "Requires")
        assert "tongdai1022-migrate.service" in " ".join(values(u["Unit"], "After"))
        assert "/var/lib/tongdai1022" in values(u["Service"], "ReadWritePaths")
    target = " ".join(values(unit(UNITS / "tongdai1022.target")["Unit"], "Wants"))
    for port in WEB_PORTS:
        assert f"tongdai1022-web@{port}.service" in target


def test_nginx_upstream_matches_the_web_units() -> None:
    site = SITE_FILE.read_text(encoding="utf-8")
    upstream = [m.group("body") for line in site.splitlines() if (m := MARKED.match(line))]
    ports = [re.search(r"127\.0\.0\.1:(\d+)", b) for b in upstream if b.startswith("server ")]
    assert [p.group(1) for p in ports if p] == list(WEB_PORTS)


def _env_example() -> dict[str, str]:
    env: dict[str, str] = {}
    load_settings_file(ENV_EXAMPLE, env)
    return env


def test_env_example_is_a_valid_documented_setting_file() -> None:
    env = _env_example()
    settings = Settings.from_env(env)  # the hub accepts every value
    assert settings.database_url.startswith("postgresql://") and settings.redis_url
    assert settings.max_upload_bytes == Settings().max_upload_bytes == 10 * 1024 * 1024
    assert settings.secure_cookies and settings.media_dir == Path("/var/lib/tongdai1022/media")
    assert {"127.0.0.1", "::1"} <= set(env["HUB_TRUSTED_PROXIES"].split(","))
    undocumented = [k for k in env if not documented(k)]
    assert not undocumented
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():  # the commented ones too
        if m := re.match(r"#\s*([A-Z][A-Z0-9_]+)=", line):
            assert documented(m.group(1)), m.group(1)


def test_nginx_body_limit_is_the_hubs() -> None:
    m = re.search(r"^\s*client_max_body_size (\d+)m;", SITE_FILE.read_text(encoding="utf-8"), re.M)
    assert m and int(m.group(1)) * 1024 * 1024 == int(_env_example()["HUB_MAX_UPLOAD_BYTES"])


def compose() -> dict[str, object]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, object]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def command(service: dict[str, object]) -> str:
    cmd = service.get("command", [])
    assert isinstance(cmd, list)
    return " ".join(cmd)


def test_compose_topology() -> None:
    svc = services()
    assert set(svc) == {"postgres", "redis", "migrate", "rasa", "web1", "web2", "worker", "nginx"}
    for name in ("web1", "web2"):
        assert command(svc[name]).endswith("-m bot serve --role web")
        assert svc[name]["environment"]["HUB_ROLE"] == "web"  # type: ignore[index]
    assert command(svc["worker"]).endswith("-m bot serve --role worker")
    assert svc["worker"]["deploy"] == {"replicas": 2}
    assert command(svc["migrate"]).endswith("-m bot migrate") and svc["migrate"]["restart"] == "no"
    # only nginx is reachable from outside
    assert [n for n, s in svc.items() if "ports" in s] == ["nginx"]
    assert svc["nginx"]["ports"] == ["80:80", "443:443"]
    # every service of the hub reads the same settings file
    for name in ("migrate", "web1", "web2", "worker"):
        assert svc[name]["env_file"] == "hub.env" and svc[name]["build"]["target"] == "hub"  # type: ignore[index]


def test_compose_healthchecks_and_start_order() -> None:
    svc = services()
    for name in ("web1", "web2"):
        probe = " ".join(svc[name]["healthcheck"]["test"])  # type: ignore[index]
        assert "http://127.0.0.1:8022/livez" in probe  # in rotation while it can store
    for name in ("postgres", "redis", "rasa", "nginx"):
        assert svc[name]["healthcheck"]["test"], name  # type: ignore[index]
    started = {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert svc["web1"]["depends_on"] == svc["web2"]["depends_on"] == started
    assert svc["worker"]["depends_on"] == {**started, "rasa": {"condition": "service_healthy"}}
    assert svc["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert svc["nginx"]["depends_on"] == {
        "web1": {"condition": "service_healthy"},
        "web2": {"condition": "service_healthy"},
    }


def test_compose_volumes_addresses_and_settings() -> None:
    data, svc = compose(), services()
    assert set(data["volumes"]) == {"pgdata", "media"}  # type: ignore[call-overload]
    assert "pgdata:/var/lib/postgresql/data" in svc["postgres"]["volumes"]  # type: ignore[operator]
    for name in ("migrate", "web1", "web2", "worker"):
        env = svc[name]["environment"]
        assert isinstance(env, dict)
        assert f"media:{env['HUB_MEDIA_DIR']}" in svc[name]["volumes"]  # type: ignore[operator]
        assert "@postgres:5432/" in env["HUB_DATABASE_URL"] and env["HUB_REDIS_URL"].startswith(
            "redis://redis:"
        )
        assert env["HUB_RASA_URL"] == "http://rasa:5005"
        # nginx's fixed address is the one proxy whose X-Forwarded-For the hub believes
        nginx_ip = svc["nginx"]["networks"]["hub"]["ipv4_address"]  # type: ignore[index]
        assert env["HUB_TRUSTED_PROXIES"] == nginx_ip
        undocumented = [k for k in env if not documented(k)]
        assert not undocumented, (name, undocumented)
    subnet = data["networks"]["hub"]["ipam"]["config"][0]["subnet"]  # type: ignore[index]
    assert nginx_ip.rsplit(".", 1)[0] == subnet.rsplit(".", 1)[0]


def dockerfile_stages() -> dict[str, str]:
    """Each ``FROM ... AS name`` stage's text."""
    stages: dict[str, str] = {}
    name = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"FROM \S+ AS (\w+)", line):
            name = m.group(1)
        if name:
            stages[name] = stages.get(name, "") + line + "\n"
    return stages


def test_dockerfile_builds_from_the_make_install_steps() -> None:
    stages = dockerfile_stages()
    assert {s["build"]["target"] for s in services().values() if "build" in s} == set(stages)  # type: ignore[index]
    make = re.search(r"pip install -q -e '\.\[([a-z,]+)\]'", (ROOT / "Makefile").read_text(encoding="utf-8"))
    image = re.search(r"pip install -q -e '\.\[([a-z,]+)\]'", stages["hub"])
    assert make and image
    assert set(image.group(1).split(",")) == set(make.group(1).split(",")) - {"test"}
    assert "FROM python:3.11" in stages["hub"] and "FROM python:3.10" in stages["rasa"]
    assert "-r requirements-rasa.txt" in stages["rasa"] and ".requirements.sha256" in stages["rasa"]
    # every file or folder a stage copies from the context exists (and is not ignored)
    ignored = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    for m in re.finditer(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE.read_text(encoding="utf-8"), re.M):
        for src in m.group(1).split():
            assert (ROOT / src).exists(), src
            assert src.split("/")[0] not in ignored, src


def test_docker_nginx_stage_changes_only_marked_lines(tmp_path: Path) -> None:
    """The nginx image's sed, run for real on the shipped site: only marked lines change,
    and the upstream names are the compose web services on the hub's port."""
    stage = dockerfile_stages()["nginx"]
    expressions = re.findall(r"-e '([^']+)'", stage)
    assert len(expressions) == 3
    site = tmp_path / "site.conf"
    shutil.copy(SITE_FILE, site)
    subprocess.run(["sed", "-i", "-E", *[a for e in expressions for a in ("-e", e)], str(site)], check=True)
    before = SITE_FILE.read_text(encoding="utf-8").splitlines()
    after = site.read_text(encoding="utf-8").splitlines()
    assert [line for line in before if not MARKED.match(line)] == [
        line for line in after if not MARKED.match(line)
    ]
    upstream = [
        line.split()[1] for line in after if line.strip().startswith("server ") and "@site:upstream" in line
    ]
    web = [n for n, s in services().items() if "--role web" in command(s)]
    port = services()["web1"]["environment"]["HUB_PORT"]  # type: ignore[index]
    assert upstream == [f"{n}:{port}" for n in web]
    assert not [line for line in after if "listen [::]" in line]


def test_logrotate_file_parses_and_finds_rasas_logs(tmp_path: Path) -> None:
    binary = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not Path(binary).exists():
        message = "logrotate is not installed (Debian: logrotate)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " — required under CI", pytrace=False)
        pytest.skip(message)
    logs = tmp_path / "checkout" / "var" / "rasa"
    logs.mkdir(parents=True)
    (logs / "rasa.log").write_text("x\n", encoding="utf-8")
    text = (DEPLOY / "logrotate" / "tongdai1022").read_text(encoding="utf-8")
    assert "/opt/tongdai1022/var/rasa/*.log" in text  # where bot.rasa_process writes them
    me = f"{pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name}"
    conf = tmp_path / "logrotate.conf"
    text = text.replace(SHIPPED_ROOT, str(tmp_path / "checkout"))
    conf.write_text(text.replace("su tongdai1022 tongdai1022", f"su {me}"))
    result = subprocess.run(
        [binary, "-d", "-s", str(tmp_path / "state"), str(conf)], capture_output=True, text=True, timeout=30
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "error" not in output.lower(), output
    assert "considering log" in output and "rasa.log" in output


def test_backup_script_settings_are_documented() -> None:
    script = (DEPLOY / "backup.sh").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    names = set(re.findall(r"\$\{(BACKUP_[A-Z_]+|HUB_[A-Z_]+):-", script))
    assert names >= {"BACKUP_DIR", "BACKUP_KEEP_DAYS", "BACKUP_PASSPHRASE_FILE", "HUB_DIR"}
    assert "HUB_SETTINGS_FILE" in names
    assert [n for n in names if f"`{n}`" not in guide] == []
