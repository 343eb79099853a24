"""The contact form (Điều 7.2) as a state machine over :class:`~actions.dialogue.FormState`.

Steps: ``matter`` (when the citizen has not said what they need), ``confirm_name`` (a name
the NLU found is confirmed, never silently used), then ``full_name``, ``phone``,
``address``, ``email``; a field known from the profile is filled, never asked. One reply
per citizen message. "Bỏ qua" (and its synonyms) skips any field; "hủy" drops the form.
A question asked meanwhile is answered (when the FAQ has the answer) and the form goes
on; whatever else the citizen writes is kept for the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from actions import cues, texts
from actions.dialogue import (
    CONTACT_FIELDS,
    Decision,
    DialogueState,
    Entity,
    FormState,
    Reply,
    TicketRequest,
    Turn,
)
from actions.fields import (
    DECLINED,
    clean_address,
    clean_name,
    find_email,
    normalize_phone,
    refuses_everything,
)
from actions.services import DecisionKind, HotlineInfo

# The operator queue's reason, set when the form opens (the citizen is in the queue at once).
QUEUE_REASONS = {
    "request_human": "Công dân yêu cầu gặp cán bộ",
    "report_incident": "Phản ánh, kiến nghị cần cán bộ xử lý",
    "unanswered_question": "Câu hỏi chưa có câu trả lời, cần cán bộ trả lời",
}
NO_MATTER = {
    "request_human": "Công dân yêu cầu gặp cán bộ (chưa nêu nội dung).",
    "report_incident": "Công dân muốn phản ánh, kiến nghị (chưa nêu nội dung).",
    "unanswered_question": "Câu hỏi của công dân (chưa nêu nội dung).",
}
NAME_MAX_WORDS = 5  # a Vietnamese full name is 2-5 words
# Words that never occur in a person's name: pronouns, particles, places, common verbs ...
_NOT_NAME = frozenset(
    """tôi em mình cháu ông bà bạn có không chưa đã đang sẽ rồi muốn cần hỏi cho gì nào đâu sao thế vậy
    nhé nha ạ ad xã phường huyện thôn xóm tỉnh quận đường số phố ngõ thành ok oke vâng ừ đúng phải sai
    biết được làm ở tại đi về đến bị và với của là thì mà những cảm ơn chào bỏ qua hủy gửi cán bộ
    tổng đài""".split()
)
# ... and, typed without diacritics, those whose folded form is no name syllable either
# ("minh" may be Minh, "dung" Dũng, "phuong" Phương).
_NOT_NAME_FOLDED = frozenset(
    """toi khong ko chua muon can hoi gi nao dau sao vay nhe ad xa huyen thon xom so pho ngo ok oke
    vang uk uh phai sai roi biet duoc lam cua thi nhung cam on chao bo qua huy gui tong dai""".split()
)


def plausible_name(text: str) -> str | None:
    """A person's name in ``text`` ("tôi tên là Lê Văn Tám" -> "Lê Văn Tám"), else None."""
    if cues.is_question(text):
        return None
    name = clean_name(text)
    if name is None:
        return None
    toks = cues.tokens(name)
    if len(toks) > NAME_MAX_WORDS or any(
        t.acc in _NOT_NAME or (t.plain and t.fold in _NOT_NAME_FOLDED) for t in toks
    ):
        return None
    return name


def _entity(entities: Iterable[Entity], name: str) -> str | None:
    """The entity's value; the pieces of a split name joined in order, repeats dropped."""
    found = sorted((e for e in entities if e.name == name and e.value.strip()), key=lambda e: e.start)
    values = list(dict.fromkeys(e.value.strip() for e in found))
    return " ".join(values) if values else None


def next_step(form: FormState) -> str | None:
    if not form.matter and form.step == "matter":
        return "matter"
    if form.name_candidate and "full_name" not in form.values:
        return "confirm_name"
    return next((f for f in CONTACT_FIELDS if f not in form.values), None)


def start(
    reason: str,
    matter: str | None,
    profile: Mapping[str, str],
    entities: Iterable[Entity] = (),
    hotline: HotlineInfo | None = None,
) -> tuple[FormState, Reply]:
    """A new form and its first question (``step == "done"``: nothing to ask, see :func:`begin`)."""
    hotline = hotline or HotlineInfo()
    entities = tuple(entities)
    values = {f: str(profile[f]).strip() for f in CONTACT_FIELDS if str(profile.get(f) or "").strip()}
    for field, entity in (("phone", "phone"), ("email", "email")):
        value = _entity(entities, entity)
        if field not in values and value:
            values[field] = value
    candidate = None
    if "full_name" not in values:
        raw = _entity(entities, "person_name")
        candidate = plausible_name(raw) if raw else None  # to confirm: never used unasked
    form = FormState(reason, "matter" if not matter else "", matter or None, (), values, candidate)
    step = next_step(form) or "done"
    form = replace(form, step=step)
    intro = texts.form_intro(reason, hotline)
    return form, _ask(form, hotline, intro)


def _ask(form: FormState, hotline: HotlineInfo, before: str = "") -> Reply:
    if form.step == "matter":
        return Reply(_join(before, texts.ask_matter(hotline)))
    if form.step == "done":
        return texts.ticket_created(hotline)
    prompt = texts.field_prompt(form.step, form.name_candidate)
    return Reply(_join(before, prompt.text), prompt.buttons)


def _join(before: str, text: str) -> str:
    """``before`` then ``text``; an FAQ answer (several lines) is set off by a blank line."""
    sep = "\n\n" if before.endswith("\n") else " "
    before = before.strip()
    return f"{before}{sep}{text}" if before else text


def begin(turn: Turn, reason: str, matter: str | None, entities: Iterable[Entity] = ()) -> Decision:
    """Open the form (the conversation joins the operator queue now) and ask its first question."""
    form, reply = start(reason, matter, turn.profile, entities, turn.hotline)
    state = replace(turn.state.cleared(), form=form)
    queue = QUEUE_REASONS.get(reason, QUEUE_REASONS["request_human"])
    if form.step == "done":
        return replace(_finish(state, form, turn.hotline), queue=queue)
    return Decision("form", (reply,), state, queue=queue)


def _finish(state: DialogueState, form: FormState, hotline: HotlineInfo, before: str = "") -> Decision:
    content = "\n".join(p for p in (form.matter, *form.extra) if p) or NO_MATTER.get(form.reason, "")
    contact = {
        f: (None if form.values.get(f, DECLINED) == DECLINED else form.values[f]) for f in CONTACT_FIELDS
    }
    ticket = TicketRequest(
        kind="incident" if form.reason == "report_incident" else "request",
        reason=form.reason,
        content=content,
        contact=contact,
    )
    done = texts.ticket_created(hotline)
    return Decision("ticket", (Reply(_join(before, done.text)),), replace(state, form=None), ticket=ticket)


def _advance(turn: Turn, form: FormState, before: str = "") -> Decision:
    step = next_step(replace(form, step=""))
    if step is None:
        return _finish(turn.state, form, turn.hotline, before)
    form = replace(form, step=step)
    return Decision("form", (_ask(form, turn.hotline, before),), replace(turn.state, form=form))


def _again(
    turn: Turn, form: FormState, before: str, act: str = "form", faq_id: str | None = None
) -> Decision:
    return Decision(act, (_ask(form, turn.hotline, before),), replace(turn.state, form=form), faq_id=faq_id)


def _set(form: FormState, **values: str) -> FormState:
    return replace(form, values={**form.values, **values})


def step(turn: Turn) -> Decision:
    """One citizen message while the form is open: exactly one reply."""
    form = turn.state.form
    assert form is not None, "form.step needs an open form"
    text = cues.prefix(turn.text).strip()  # what is checked; the ticket keeps the whole message
    if cues.wants_cancel(text):
        state = replace(turn.state, form=None)
        return Decision("cancel", (texts.form_cancelled(turn.hotline),), state, dequeue=True)
    if not text:
        return _again(turn, form, "")
    if form.step == "matter":
        return _matter(turn, form, text)
    if form.step == "confirm_name":
        return _confirm_name(turn, form, text)
    return _field(turn, form, text)


def _matter(turn: Turn, form: FormState, text: str) -> Decision:
    if cues.wants_skip(text):
        return _advance(turn, replace(form, step=""))
    rest = cues.without_contact(text)
    if not cues.content_words(rest, cues.W.FIELD_WORDS):  # contact details instead of the matter
        return _again(turn, _contact_given(form, text, name=True), "")
    # asked for the matter, the citizen's answer is the matter: any topic word will do
    matter = cues.matter_of(text, min_words=1) if cues.asks_for_person(text) else turn.text.strip()
    if not matter or not cues.content_words(matter):
        return _again(turn, form, "")  # "ok", "cho tôi gặp cán bộ" again: the matter is still unsaid
    return _advance(turn, replace(form, matter=matter, step=""))


def _contact_given(form: FormState, text: str, name: bool = False) -> FormState:
    """The phone, e-mail (and, when ``name``, a name to confirm) a citizen gives unasked."""
    found = {}
    phone, email = normalize_phone(text), find_email(text) if "@" in text else None
    if phone and "phone" not in form.values:
        found["phone"] = phone
    if email and "email" not in form.values:
        found["email"] = email
    form = _set(form, **found)
    given = cues.name_in(text) if name else None
    if given and "full_name" not in form.values and not form.name_candidate:
        form = replace(form, name_candidate=given)
    return form


def _confirm_name(turn: Turn, form: FormState, text: str) -> Decision:
    candidate = form.name_candidate or ""
    if cues.wants_skip(text):
        return _advance(turn, _set(replace(form, name_candidate=None), full_name=DECLINED))
    if cues.is_affirm(text):
        return _advance(turn, _set(replace(form, name_candidate=None), full_name=candidate))
    if cues.is_deny(text):
        return _advance(turn, replace(form, name_candidate=None))
    name = plausible_name(text)
    if name:  # "không, tôi là Lê Văn Tám": the citizen gives the name instead
        return _advance(turn, _set(replace(form, name_candidate=None), full_name=name))
    return _other(turn, form, text)


def _value(step: str, text: str) -> str | None:
    if step == "phone":
        return normalize_phone(text)
    if step == "email":
        return find_email(text) if "@" in text else None
    if step == "full_name":
        return plausible_name(text)
    if cues.is_question(text) or any(
        is_act(text) for is_act in (cues.is_affirm, cues.is_thank, cues.is_greet, cues.is_goodbye)
    ):
        return None
    return clean_address(text)


def _field(turn: Turn, form: FormState, text: str) -> Decision:
    field = form.step
    if refuses_everything(text):
        declined = {f: DECLINED for f in CONTACT_FIELDS if f not in form.values}
        return _advance(turn, _set(form, **declined))
    if cues.wants_skip(text) or cues.is_deny(text):
        return _advance(turn, _set(form, **{field: DECLINED}))
    rest = cues.without_contact(text).strip(" ,.;:-")
    given = _contact_given(form, text)
    if given != form and _short_reply(rest):  # "Nguyễn Văn An, 0912 345 678"
        form = given
        if not cues.content_words(rest, cues.W.FIELD_WORDS):
            return _advance(turn, form)
        if field in form.values:
            return _advance(turn, replace(form, extra=(*form.extra, rest)))
        text = rest
    value = _value(field, text)
    if value:
        return _advance(turn, _set(form, **{field: value}))
    if not cues.is_question(text) and _attempt(field, text):
        return _again(turn, form, texts.invalid(field))
    return _other(turn, form, text)


def _short_reply(text: str) -> bool:
    return (
        len(cues.tokens(text)) <= ATTEMPT_MAX_WORDS
        and not cues.is_question(text)
        and not cues.report_like(text)
    )


ATTEMPT_MAX_WORDS = 6  # a short reply at a field step is an attempt at the field


def _attempt(field: str, text: str) -> bool:
    """An attempt to answer the field that failed validation (not other talk)."""
    digits = sum(ch.isdigit() for ch in text)
    if field == "phone":
        return digits >= 4 or len(cues.tokens(text)) <= ATTEMPT_MAX_WORDS
    if field == "email":
        return "@" in text or len(cues.tokens(text)) <= 2
    return len(cues.tokens(text)) <= ATTEMPT_MAX_WORDS and not cues.report_like(text)


def _other(turn: Turn, form: FormState, text: str) -> Decision:
    """A question or other talk mid-form: answered when the FAQ can, kept for the ticket, re-ask."""
    whole = turn.text.strip()
    form = replace(form, extra=(*form.extra, whole if whole.startswith(text) else text))
    decision = turn.faq.decision
    if cues.is_question(text) and decision.kind is DecisionKind.ANSWER and decision.answer is not None:
        before = texts.answer_text(decision.answer) + "\n"
        return _again(turn, form, before, act="answer", faq_id=decision.answer.faq_id)
    before = texts.question_noted(turn.hotline) if cues.is_question(text) else texts.noted(turn.hotline)
    return _again(turn, form, before)
