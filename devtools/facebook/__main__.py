"""``python -m devtools.facebook``: the standalone demo simulator."""

from devtools.facebook import main

main()
