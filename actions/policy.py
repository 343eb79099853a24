"""The hub's conversation policy: one decision per citizen message, from the dialogue act,
the FAQ engine's evidence and the stored dialogue state. Pure: no I/O.

Order (:func:`decide`):

a. a contact form in progress takes the message (:func:`actions.form.step`);
b. a ticket is open: thanks/goodbye get their reply, a question the FAQ answers is answered
   (and noted on the ticket), anything else is noted on the ticket;
c. an answer to the last reply's question (a suggestion picked, "information or report?",
   "send it to an officer?"); anything else falls through with the pending state cleared;
d. a fresh message: foreign language; a request for a person (the form opens, queued at once);
   a short dialogue act that asks nothing; an FAQ answer to a question (or to a message that is
   no report); a report (not a question, or a question the FAQ has nothing for); a message
   with no topic (ask for details); out of scope (refusal with a way forward); FAQ suggestions
   for a question or a short search; an unanswered question (offer an officer); else ask
   whether the citizen wants information or to report something;
e. the first contact's replies start with the greeting.

The thresholds are module constants, fitted by cross-validation with
``bench/conversation_eval.py`` on both FAQ sets (never to single rows).
"""

from __future__ import annotations

from dataclasses import replace

from actions import cues, form, texts
from actions.dialogue import Decision, DialogueState, Entity, FaqView, Reply, Turn
from actions.fields import fold, is_vague
from actions.services import DecisionKind, FaqDecision, FaqSuggestion, HotlineInfo

# The NLU's request_human is trusted alone (no cue) from this confidence, when the FAQ does not answer.
HUMAN_MIN_CONFIDENCE = 0.8
# The NLU's short dialogue acts (greet, thank, goodbye, affirm, deny) are trusted from this confidence,
# for a message of at most cues.ANSWER_MAX_WORDS words the FAQ has nothing for.
ACT_MIN_CONFIDENCE = 0.7
# The NLU's ask_question counts as question evidence from this confidence.
QUESTION_NLU_MIN = 0.7
# The NLU's report_incident counts as report evidence from this confidence, adding REPORT_NLU_BONUS
# to the cues' report score; never when the FAQ has evidence for a question.
REPORT_NLU_MIN = 0.8
REPORT_NLU_BONUS = 0.2
# The NLU's out_of_scope is trusted from this confidence, when the FAQ has no evidence ...
OOS_MIN_CONFIDENCE = 0.5
# ... and, for a question, when the FAQ's top score is below this (a question the FAQ could hold
# is offered to an officer instead).
OOS_MAX_FAQ_SCORE = 0.2
# Without the NLU: a statement with FAQ top score below this and no report shape is out of scope ...
# (scores of the semantic configuration; a lexical score is never below 0: the rule is off there)
NO_TOPIC_MAX_FAQ_SCORE = -0.2
NO_TOPIC_MAX_REPORT = 0.2
# ... and so is a question whose FAQ top score is below this (an unrelated question).
QUESTION_NO_TOPIC_MAX_SCORE = -0.1
# Off-topic cues (advertising, games, chit-chat) refuse a message whose FAQ top score is below this,
# even when the FAQ suggests something. 0.8: the smallest value all four folds of
# bench/policy_cv.py chose (docs/rasa.md "Fitting the routing thresholds"; 0.4 before the FAQ
# engine read every entry densely and its passages, issue 12, which raised unrelated scores).
OFF_TOPIC_MAX_FAQ_SCORE = 0.8
# The FAQ engine's "answer" is given directly only from this score, in units of the engine's own
# answer threshold (FaqView.answer_at); below it the same entry leads the numbered suggestions
# (one tap). It was 1.3 while the engine's thresholds were fitted on the COVID set alone (they
# answered 13 % of the public-services set's unanswerable questions). Since issue 12 the
# engine's own thresholds are fitted on both FAQ sets at once (docs/faq.md "Thresholds": false
# answers 4.4 % on each), and a second gate here only withheld answers: 1.0 trusts them.
ANSWER_MIN_SCORE = 1.0
# A question the FAQ engine hands off is still offered its closest entries from this score (in
# the same units) (then "Không phải các câu trên" offers an officer), so a paraphrase the engine scores low is
# one tap away. The same cross-validation: 0.2 (folds chose 0.2, 0.2, 0, 0).
SUGGEST_FLOOR_SCORE = 0.2
# A short statement with FAQ suggestions is a search ("thủ tục đổi bằng lái xe"): offer them.
TOPIC_QUERY_MAX_WORDS = 12
MAX_SUGGESTIONS = 3
CHOICE_REPLY_MAX_WORDS = 6  # an answer to "information or report?" is short

SHORT_ACTS = ("greet", "thank", "goodbye", "affirm", "deny")


def decide(turn: Turn) -> Decision:
    state = turn.state
    decision: Decision | None
    if state.form is not None:
        decision = form.step(turn)
    elif state.ticket_code:
        decision = _ticket_open(turn)
    else:
        decision = _pending(turn) if (state.suggestions or state.pending) else None
        if decision is None:
            decision = _fresh(replace(turn, state=state.cleared()))
    return _greet_first(turn, decision)


# ---------------------------------------------------------------------------- helpers


def _say(act: str, reply: Reply, state: DialogueState, **kw: object) -> Decision:
    return Decision(act, (reply,), state, **kw)  # type: ignore[arg-type]


def _greet_first(turn: Turn, decision: Decision) -> Decision:
    if not turn.first_contact or turn.state.greeted:
        return decision
    state = replace(decision.state, greeted=True)
    if decision.act == "greet":
        greeting, rest = decision.replies[0], decision.replies[1:]
    else:
        greeting, rest = texts.greeting(turn.hotline), decision.replies
    return replace(decision, replies=(_with_notice(greeting, turn.hotline), *rest), state=state)


def _with_notice(greeting: Reply, hotline: HotlineInfo) -> Reply:
    """The greeting of a first contact ends with the privacy notice (once per channel identity;
    in the same message: a channel may send one automatic reply only, e-mail's RFC 3834)."""
    if not hotline.privacy_notice:
        return greeting
    return replace(greeting, text=f"{greeting.text}\n\n{hotline.privacy_notice}")


def _short_act(turn: Turn) -> str | None:
    """greet / thank / goodbye / affirm / deny for a short message, else None."""
    if len(cues.tokens(turn.text)) > cues.SHORT_ACT_MAX_WORDS:
        return None
    own = cues.read_acts(turn.text).intent
    if own in SHORT_ACTS:
        return own
    parse = turn.parse
    trusted = (
        parse.intent in SHORT_ACTS
        and parse.confidence >= ACT_MIN_CONFIDENCE
        and len(cues.tokens(turn.text)) <= cues.ANSWER_MAX_WORDS
        and turn.faq.decision.kind is DecisionKind.HANDOFF
        and not cues.is_question(turn.text)
    )
    return parse.intent if trusted else None


def _act_reply(turn: Turn, act: str, state: DialogueState) -> Decision:
    hotline = turn.hotline
    if act == "greet":
        if not state.greeted:
            return _say("greet", texts.greeting(hotline), replace(state, greeted=True))
        return _say("greet", texts.greet_again(hotline), state)
    if act == "thank":
        return _say("thank", texts.thank(hotline), state)
    if act == "goodbye":
        return _say("goodbye", texts.goodbye(hotline), state)
    return _say("ack", texts.ack(hotline), state)


def _confident(view: FaqView | None) -> bool:
    """The FAQ answers, and surely enough to say it without asking."""
    return (
        view is not None
        and view.decision.kind is DecisionKind.ANSWER
        and view.decision.answer is not None
        and (not view.calibrated or view.score >= ANSWER_MIN_SCORE * view.answer_at)
    )


def _answer(turn: Turn, faq: FaqDecision, state: DialogueState, **kw: object) -> Decision:
    assert faq.answer is not None
    return _say("answer", texts.answer(faq.answer), state, faq_id=faq.answer.faq_id, **kw)


def _suggest(turn: Turn, faq: FaqDecision, state: DialogueState, text: str | None) -> Decision:
    items: list[FaqSuggestion] = []
    seen: set[str] = set()
    for s in faq.suggestions:
        key = fold(s.question).strip(" ?.")
        if key not in seen and len(items) < MAX_SUGGESTIONS:
            seen.add(key)
            items.append(s)
    state = replace(state, suggestions=tuple(s.faq_id for s in items), pending=None, pending_text=text)
    return _say("suggest", texts.suggestions(turn.hotline, tuple(items)), state)


def _suggestible(view: FaqView) -> bool:
    """Entries worth offering: the engine's suggestions, or its closest entries when it hands off."""
    kind = view.decision.kind
    if not view.decision.suggestions:
        return False
    if kind is not DecisionKind.HANDOFF:
        return True
    return view.calibrated and view.score >= SUGGEST_FLOOR_SCORE * view.answer_at


def _offer(turn: Turn, state: DialogueState, text: str | None) -> Decision:
    state = replace(state, suggestions=(), pending="offer_ticket", pending_text=text)
    return _say("offer_ticket", texts.offer_ticket(turn.hotline), state)


def _entities(turn: Turn, reason: str) -> tuple[Entity, ...]:
    found = (*turn.parse.entities, *cues.entities_in(turn.text))
    if reason == "report_incident":  # a number in a report may be anyone's (a scammer's)
        found = tuple(e for e in found if e.name == "person_name")
    return found


def _question(turn: Turn) -> bool:
    return cues.is_question(turn.text) or turn.parse.score("ask_question") >= QUESTION_NLU_MIN


def _faq_evidence(turn: Turn) -> bool:
    """The FAQ holds something close: an answer, suggestions, or entries worth offering."""
    return turn.faq.decision.kind is not DecisionKind.HANDOFF or _suggestible(turn.faq)


def _report(turn: Turn, question: bool) -> float:
    """The cues' report score, raised by the NLU's report_incident unless the hub's own
    evidence says otherwise: a question the FAQ has something for, or an advertisement."""
    score = cues.report_score(turn.text)
    nlu = turn.parse.score("report_incident") >= REPORT_NLU_MIN
    if nlu and not (question and _faq_evidence(turn)) and not cues.off_topic(turn.text):
        score += REPORT_NLU_BONUS
    return score


def _asks_person(turn: Turn) -> bool:
    """The cues hear a request for a person; the NLU alone only for a message the FAQ has
    nothing for, or that asks nothing."""
    if cues.asks_for_person(turn.text):
        return True
    if turn.parse.score("request_human") < HUMAN_MIN_CONFIDENCE:
        return False
    kind = turn.faq.decision.kind
    return kind is DecisionKind.HANDOFF or (kind is DecisionKind.SUGGEST and not cues.is_question(turn.text))


# ---------------------------------------------------------------------------- b. ticket open


def _ticket_open(turn: Turn) -> Decision:
    state = turn.state.cleared()
    act = _short_act(turn)
    if act is not None:
        return _act_reply(turn, act, state)
    faq = turn.faq.decision
    if _confident(turn.faq) and _question(turn):
        return _answer(turn, faq, state, ticket_note=turn.text)
    code = state.ticket_code or ""
    return _say("note", texts.note_added(turn.hotline, code), state, ticket_note=turn.text)


# ---------------------------------------------------------------------------- c. pending


def _is(text: str, *payloads: str) -> bool:
    folded = fold(cues.prefix(text)).strip(" .!?")
    return any(folded == fold(p) for p in payloads)


def _pending(turn: Turn) -> Decision | None:
    state = turn.state
    if state.suggestions:
        return _pending_suggestions(turn)
    if state.pending == "clarify":
        return _pending_clarify(turn)
    if state.pending == "offer_ticket":
        return _pending_offer(turn)
    return None


_SEND_WORDS = "gửi | chuyển | đồng ý | nhờ | được"


def _pending_offer(turn: Turn) -> Decision | None:
    text, state = turn.text, turn.state
    short = len(cues.tokens(text)) <= CHOICE_REPLY_MAX_WORDS
    if _is(text, texts.NO_NEED) or cues.is_deny(text) or (short and cues.wants_cancel(text)):
        return _say("ack", texts.ack(turn.hotline), state.cleared())
    if _is(text, texts.SEND) or cues.is_affirm(text) or (short and cues.has(text, _SEND_WORDS)):
        return form.begin(turn, "unanswered_question", state.pending_text)
    return None


def _pending_suggestions(turn: Turn) -> Decision | None:
    state = turn.state
    n = cues.choice(turn.text, len(state.suggestions))
    if n is not None:
        entry = turn.answer_of(state.suggestions[n - 1])
        if entry is None:
            return _say("ack", texts.gone(turn.hotline), state.cleared())
        reply, cleared = texts.answer(entry), state.cleared()
        return _say("answer", reply, cleared, faq_id=entry.faq_id, picked_for=state.pending_text)
    if _is(turn.text, texts.NONE_OF_THESE, texts.NONE_BUTTON.title) or cues.is_deny(turn.text):
        return _offer(turn, state.cleared(), state.pending_text)
    return None


def _clarify_kind(text: str) -> str | None:
    if len(cues.tokens(text)) > CHOICE_REPLY_MAX_WORDS:
        return None
    if _is(text, texts.PERSON) or cues.asks_for_person(text):
        return "person"
    if _is(text, texts.REPORT) or cues.has(text, "phản ánh | kiến nghị | báo | tố giác | khiếu nại | tố cáo"):
        return "report"
    if _is(text, texts.ASK_INFO) or cues.has(text, "hỏi | thông tin | hỏi đáp | tìm hiểu"):
        return "info"
    return None


def _pending_clarify(turn: Turn) -> Decision | None:
    state, pending_text = turn.state, turn.state.pending_text
    kind = _clarify_kind(turn.text)
    if kind == "person":
        return form.begin(turn, "request_human", pending_text)
    if kind == "report":
        return form.begin(turn, "report_incident", pending_text)
    if kind != "info":
        return None
    view = turn.pending_faq
    cleared = state.cleared()
    if view is not None and _confident(view):
        return _answer(turn, view.decision, cleared)
    if view is not None and _suggestible(view):
        return _suggest(turn, view.decision, cleared, pending_text)
    return _offer(turn, cleared, pending_text)


# ---------------------------------------------------------------------------- d. fresh


def _fresh(turn: Turn) -> Decision:
    text, state, hotline = turn.text.strip(), turn.state, turn.hotline
    if not cues.tokens(text):
        return _say("ack", texts.ask_details(hotline), state)
    if cues.is_foreign(text):
        return _say("foreign", texts.foreign(hotline), state)
    if cues.is_gibberish(text):
        return _say("ack", texts.ask_details(hotline), state)
    if _asks_person(turn):
        return form.begin(turn, "request_human", cues.matter_of(text), _entities(turn, "request_human"))
    faq = turn.faq.decision
    question = _question(turn)
    report = _report(turn, question)
    act = _short_act(turn)
    if act is not None and not question:
        return _act_reply(turn, act, state)
    if faq.kind is DecisionKind.ANSWER and faq.answer is not None and (question or report < cues.REPORT_MIN):
        if _confident(turn.faq):
            return _answer(turn, faq, state)
        return _suggest(turn, faq, state, text)
    if act is not None:
        return _act_reply(turn, act, state)
    if report >= cues.REPORT_MIN and (not question or not _faq_evidence(turn)):
        matter = cues.report_matter(text)
        return form.begin(turn, "report_incident", matter, _entities(turn, "report_incident"))
    if is_vague(cues.prefix(text)):  # "em muốn hỏi", "Hỏi thông tin": no topic yet
        return _say("ack", texts.ask_details(hotline), state)
    if _out_of_scope(turn, question, report):
        return _say("refuse", texts.refusal(hotline), state)
    topic_query = len(cues.tokens(text)) <= TOPIC_QUERY_MAX_WORDS and report < cues.REPORT_MIN
    if faq.kind is DecisionKind.SUGGEST and faq.suggestions and (question or topic_query):
        return _suggest(turn, faq, state, text)
    if question and _suggestible(turn.faq):
        return _suggest(turn, faq, state, text)
    if question:
        return _offer(turn, state, text)
    state = replace(state, pending="clarify", pending_text=text)
    return _say("clarify", texts.clarify(hotline), state)


def _out_of_scope(turn: Turn, question: bool, report: float) -> bool:
    """Refuse (Điều 9.2): the NLU or the cues say so and the FAQ has nothing close."""
    if report >= cues.REPORT_MIN or turn.faq.decision.kind is DecisionKind.ANSWER:
        return False
    score = turn.faq.score
    if cues.off_topic(turn.text) and score < OFF_TOPIC_MAX_FAQ_SCORE:
        return True
    if turn.faq.decision.kind is not DecisionKind.HANDOFF:
        return False
    nlu = turn.parse.score("out_of_scope") >= OOS_MIN_CONFIDENCE
    if nlu and (not question or score < OOS_MAX_FAQ_SCORE):
        return True
    if question:
        return score < QUESTION_NO_TOPIC_MAX_SCORE
    return score < NO_TOPIC_MAX_FAQ_SCORE and report < NO_TOPIC_MAX_REPORT
