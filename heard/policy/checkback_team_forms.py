"""The check-back forms for the team and facilitators: open a round, close it, enter a hui's
show of hands on one question about one clause.

The forms check shape only (a number that parses, a hui and a clause that are offered); the
rules (an issued version, one round per version, a round still open, at least one hand) live in
``heard.policy.checkback``, whose refusals the views show in the same error summary with
everything typed kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from heard.opinions.services import TALLY_MAX
from heard.plan.models import Hui
from heard.policy.checkback import QUESTIONS
from heard.policy.models import REASON_MAX, Answer, ClauseVersion


class OpenForm(forms.Form):
    """Open the version named for feedback; the number guards against a version issued since
    the page was loaded."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(forms.Form):
    """Close a round: a box to tick, because a closed round takes no more answers, ever."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("Yes, close this round"),
        help_text=_(
            "Once closed, no one can answer or change an answer on this version, and no more "
            "hui tallies are taken. Everything already said is kept."
        ),
        error_messages={"required": _("Tick the box to confirm that the round should close.")},
    )


class HandsInput(forms.NumberInput):
    """A count of hands: a number pad on phones, nothing below 0."""

    def __init__(self) -> None:
        super().__init__(attrs={"min": 0, "max": TALLY_MAX, "inputmode": "numeric", "step": 1})


def _count(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=0, max_value=TALLY_MAX, required=False, widget=HandsInput()
    )


ANSWER_LABELS = dict(Answer.choices)


class TallyForm(forms.Form):
    """One hui, one clause, one question, and the hands raised for each answer. An empty count
    is 0; a second tally for the same hui, clause and question corrects the first."""

    hui = forms.ChoiceField(label=_("Hui"))
    clause = forms.ChoiceField(label=_("Clause"))
    question = forms.ChoiceField(
        label=_("Question the hands answered"), choices=QUESTIONS, widget=forms.RadioSelect
    )
    yes = _count(ANSWER_LABELS[Answer.YES])
    partly = _count(ANSWER_LABELS[Answer.PARTLY])
    no = _count(ANSWER_LABELS[Answer.NO])
    unsure = _count(ANSWER_LABELS[Answer.UNSURE])
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Optional: how the question was put, or anything the room said. Never name anyone."
        ),
    )

    COUNTS = tuple(Answer.values)

    def __init__(
        self, *args, hui_list: Sequence[Hui] = (), clauses: Sequence[ClauseVersion] = (), **kwargs
    ) -> None:
        """``hui_list``: the engagement's hui; ``clauses``: the round's version's clauses (with
        their clause), in order."""
        super().__init__(*args, **kwargs)
        self.hui_by_key = {h.key: h for h in hui_list}
        self.fields["hui"].choices = [("", _("Choose a hui"))] + [
            (h.key, f"{h.title} ({h.starts_at:%d %b %Y})") for h in hui_list
        ]
        self.fields["clause"].choices = [("", _("Choose a clause"))] + [
            (c.clause.key, " · ".join(x for x in (c.clause.key, c.heading_en or c.heading_mi) if x))
            for c in clauses
        ]

    def clean_hui(self) -> Hui:
        return self.hui_by_key[self.cleaned_data["hui"]]

    def count_fields(self) -> list[forms.BoundField]:
        """The four counts, for one fieldset ("Hands raised")."""
        return [self[name] for name in self.COUNTS]

    def counts(self) -> dict[str, int]:
        return {name: self.cleaned_data.get(name) or 0 for name in self.COUNTS}
