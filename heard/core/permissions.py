"""Who may do what, when: the one permission table (role x action x phase).

This module has no Django import. Views ask :func:`allowed`; the table is rendered into
``docs/permissions.md`` by ``heard permissions --markdown`` and a test keeps the two equal; and
``tests/test_permission_matrix.py`` drives every cell through the real views.

Roles are evaluated one at a time, never merged with "public": a team member who is not also a
participant may not contribute as one (staff voices must not be mistaken for the community's).
Someone with no role in an engagement, signed in or not, is ``PUBLIC``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    TEAM = "team"
    FACILITATOR = "facilitator"
    WORKING_GROUP = "working_group"
    PARTICIPANT = "participant"
    PUBLIC = "public"


class Phase(StrEnum):
    """The journey's stages, in order. An engagement is always in exactly one."""

    PLAN = "plan"
    LISTEN = "listen"
    MAKE_SENSE = "make_sense"
    REPORT = "report"
    DRAFT = "draft"
    CHECK_BACK = "check_back"
    ENDORSE = "endorse"
    ADOPT = "adopt"


class Action(StrEnum):
    VIEW_ENGAGEMENT = "view_engagement"
    EDIT_ENGAGEMENT = "edit_engagement"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_HUI = "manage_hui"
    JOIN_AS_PARTICIPANT = "join_as_participant"
    SUBMIT_CONTRIBUTION = "submit_contribution"
    CAPTURE_AT_HUI = "capture_at_hui"
    IMPORT_CONTRIBUTIONS = "import_contributions"
    MODERATE = "moderate"
    VIEW_PUBLIC_RECORD = "view_public_record"
    VIEW_ALL_CONTRIBUTIONS = "view_all_contributions"
    EXPORT_FULL_DATA = "export_full_data"
    WITHDRAW_OWN = "withdraw_own"
    WITHDRAW_ON_REQUEST = "withdraw_on_request"
    VIEW_THEMES = "view_themes"
    ANALYSE_THEMES = "analyse_themes"
    VIEW_OPINIONS = "view_opinions"
    VOTE = "vote"
    SUBMIT_STATEMENT = "submit_statement"
    MANAGE_STATEMENTS = "manage_statements"
    RECORD_TALLY = "record_tally"
    PUBLISH_REPORT = "publish_report"
    DRAFT_POLICY = "draft_policy"
    MANAGE_WORKING_GROUP = "manage_working_group"
    RECORD_DECISION = "record_decision"
    RUN_CHECK_BACK = "run_check_back"
    GIVE_FEEDBACK = "give_feedback"
    RECORD_FEEDBACK_TALLY = "record_feedback_tally"


ALL_PHASES: frozenset[Phase] = frozenset(Phase)
AFTER_PLANNING: frozenset[Phase] = frozenset(Phase) - {Phase.PLAN}
LISTENING: frozenset[Phase] = frozenset({Phase.LISTEN})
# Notes from the last hui often arrive after listening closes; they may still be imported while
# the team makes sense of what was heard, and attendance can be corrected then too.
LISTEN_AND_AFTER: frozenset[Phase] = frozenset({Phase.LISTEN, Phase.MAKE_SENSE})
PLAN_TO_MAKE_SENSE: frozenset[Phase] = frozenset({Phase.PLAN, Phase.LISTEN, Phase.MAKE_SENSE})
# Themes are drawn while listening (to see what is emerging), worked on while making sense, and
# still corrected while the report is written; after that the report stands on them.
ANALYSING: frozenset[Phase] = frozenset({Phase.LISTEN, Phase.MAKE_SENSE, Phase.REPORT})
# Findings are published once sense-making is done, and corrections follow through every later
# phase. The team may publish from listening on: a report published before these phases is an
# interim one ("what we have heard so far") and says so on its face (heard.report.services).
REPORT_AND_AFTER: frozenset[Phase] = frozenset(
    {Phase.REPORT, Phase.DRAFT, Phase.CHECK_BACK, Phase.ENDORSE, Phase.ADOPT}
)
DRAFTING: frozenset[Phase] = frozenset(
    {Phase.MAKE_SENSE, Phase.REPORT, Phase.DRAFT, Phase.CHECK_BACK, Phase.ENDORSE}
)
ENDORSING: frozenset[Phase] = frozenset({Phase.ENDORSE})
CHECKING_BACK: frozenset[Phase] = frozenset({Phase.CHECK_BACK})
NEVER: frozenset[Phase] = frozenset()


def gettext_noop(message: str) -> str:
    """Mark a string for translation without importing Django (xgettext knows this name);
    views translate it when they show it."""
    return message


ACTION_DESCRIPTIONS: dict[Action, str] = {
    Action.VIEW_ENGAGEMENT: gettext_noop("See the engagement's public page"),
    Action.EDIT_ENGAGEMENT: gettext_noop(
        "Edit the engagement: purpose, questions, audiences, phases"
    ),
    Action.MANAGE_MEMBERS: gettext_noop("Invite facilitators, assign roles"),
    Action.MANAGE_HUI: gettext_noop("Create and edit hui, record attendance"),
    Action.JOIN_AS_PARTICIPANT: gettext_noop("Join as a participant (under a pseudonym)"),
    Action.SUBMIT_CONTRIBUTION: gettext_noop("Submit a contribution online"),
    Action.CAPTURE_AT_HUI: gettext_noop("Capture contributions at a hui"),
    Action.IMPORT_CONTRIBUTIONS: gettext_noop("Import hui notes from CSV or XLSX"),
    Action.MODERATE: gettext_noop("Hide or unhide a contribution, with a public reason"),
    Action.VIEW_PUBLIC_RECORD: gettext_noop("Read the public record of contributions"),
    Action.VIEW_ALL_CONTRIBUTIONS: gettext_noop(
        "See every contribution, including hidden and not-for-quoting"
    ),
    Action.EXPORT_FULL_DATA: gettext_noop("Download the whole engagement as data"),
    Action.WITHDRAW_OWN: gettext_noop("Withdraw my own contribution (its words are destroyed)"),
    Action.WITHDRAW_ON_REQUEST: gettext_noop(
        "Withdraw a contribution at its author's request (e.g. a voice at a hui)"
    ),
    Action.VIEW_THEMES: gettext_noop("See the themes, their quotes and members, and their history"),
    Action.ANALYSE_THEMES: gettext_noop(
        "Run the theme analysis; rename, merge and split themes, move contributions, "
        "mark key quotes, write summaries"
    ),
    Action.VIEW_OPINIONS: gettext_noop(
        "See the conversations: statements, vote counts, hui tallies and the opinion map"
    ),
    Action.VOTE: gettext_noop("Vote on statements: agree, disagree or pass"),
    Action.SUBMIT_STATEMENT: gettext_noop("Add a statement for others to vote on"),
    Action.MANAGE_STATEMENTS: gettext_noop(
        "Open conversations, seed statements, accept or reject statements with a public reason"
    ),
    Action.RECORD_TALLY: gettext_noop("Enter a hui's show of hands on a statement"),
    Action.DRAFT_POLICY: gettext_noop(
        "Write the policy's clauses and trace them to themes; issue versions; set themes aside "
        "with a public reason"
    ),
    Action.MANAGE_WORKING_GROUP: gettext_noop(
        "Form the independent working group and appoint its members for their terms"
    ),
    Action.RECORD_DECISION: gettext_noop(
        "Record the working group's decision on an issued version of the policy, with each "
        "member's position, any dissent, and the minutes"
    ),
    Action.RUN_CHECK_BACK: gettext_noop(
        "Take an issued version of the policy back to the people for feedback, and close the round"
    ),
    Action.GIVE_FEEDBACK: gettext_noop(
        "Answer, clause by clause: have we heard you correctly, does this reflect your ideas, "
        "does it have integrity with the process; and comment"
    ),
    Action.RECORD_FEEDBACK_TALLY: gettext_noop(
        "Enter a hui's show of hands on a clause of the draft policy"
    ),
    Action.PUBLISH_REPORT: gettext_noop(
        "Write the findings report's introduction, next steps and what was left out; order its "
        "themes; publish it and its corrections"
    ),
}

_T, _F, _W, _P, _U = Role.TEAM, Role.FACILITATOR, Role.WORKING_GROUP, Role.PARTICIPANT, Role.PUBLIC

TABLE: dict[Action, dict[Role, frozenset[Phase]]] = {
    Action.VIEW_ENGAGEMENT: {
        _T: ALL_PHASES,
        _F: ALL_PHASES,
        _W: ALL_PHASES,
        _P: ALL_PHASES,
        _U: ALL_PHASES,
    },
    Action.EDIT_ENGAGEMENT: {_T: ALL_PHASES},
    Action.MANAGE_MEMBERS: {_T: ALL_PHASES},
    Action.MANAGE_HUI: {_T: PLAN_TO_MAKE_SENSE},
    Action.JOIN_AS_PARTICIPANT: {_U: LISTENING | {Phase.CHECK_BACK}},
    Action.SUBMIT_CONTRIBUTION: {_P: LISTENING},
    Action.CAPTURE_AT_HUI: {_T: LISTENING, _F: LISTENING},
    Action.IMPORT_CONTRIBUTIONS: {_T: LISTEN_AND_AFTER},
    Action.MODERATE: {_T: AFTER_PLANNING},
    Action.VIEW_PUBLIC_RECORD: {
        _T: AFTER_PLANNING,
        _F: AFTER_PLANNING,
        _W: AFTER_PLANNING,
        _P: AFTER_PLANNING,
        _U: AFTER_PLANNING,
    },
    Action.VIEW_ALL_CONTRIBUTIONS: {_T: ALL_PHASES, _W: ALL_PHASES},
    Action.EXPORT_FULL_DATA: {_T: ALL_PHASES, _W: ALL_PHASES},
    # Withdrawal is a person's right at any time after they could speak; it never waits on a phase.
    Action.WITHDRAW_OWN: {_P: AFTER_PLANNING},
    Action.WITHDRAW_ON_REQUEST: {_T: AFTER_PLANNING},
    # Themes show every contribution's words (hidden and not-for-quoting ones too), so they are
    # for those who may see all contributions; there is no published form of them yet.
    Action.VIEW_THEMES: {_T: AFTER_PLANNING, _W: AFTER_PLANNING},
    Action.ANALYSE_THEMES: {_T: ANALYSING},
    # Statements and the map are public once planning is over: they hold no one's name, and a
    # rejected statement shows its reason, not its words (the team still reads them).
    Action.VIEW_OPINIONS: {
        _T: AFTER_PLANNING,
        _F: AFTER_PLANNING,
        _W: AFTER_PLANNING,
        _P: AFTER_PLANNING,
        _U: AFTER_PLANNING,
    },
    Action.VOTE: {_P: LISTENING},
    Action.SUBMIT_STATEMENT: {_P: LISTENING},
    # The team prepares conversations while planning and moderates until sense-making ends.
    Action.MANAGE_STATEMENTS: {_T: PLAN_TO_MAKE_SENSE},
    # A hui's tally sheet often reaches the team after listening closes, as hui notes do.
    Action.RECORD_TALLY: {_T: LISTEN_AND_AFTER, _F: LISTEN_AND_AFTER},
    # Published versions are read by anyone who may see the engagement (VIEW_ENGAGEMENT).
    Action.PUBLISH_REPORT: {_T: AFTER_PLANNING},
    # The policy is drafted from the findings while making sense of them, and amended through
    # check-back and endorsement; issued versions are public (VIEW_ENGAGEMENT).
    Action.DRAFT_POLICY: {_T: DRAFTING},
    # The group is formed early (it oversees the whole engagement); it decides when the
    # engagement reaches endorsement. The team may record the decision as the group's
    # secretariat; the group's members may record it themselves.
    Action.MANAGE_WORKING_GROUP: {_T: AFTER_PLANNING},
    Action.RECORD_DECISION: {_T: ENDORSING, _W: ENDORSING},
    # A round is opened on an issued draft when check-back starts; people answer while it runs.
    Action.RUN_CHECK_BACK: {_T: frozenset({Phase.DRAFT, Phase.CHECK_BACK})},
    Action.GIVE_FEEDBACK: {_P: CHECKING_BACK},
    Action.RECORD_FEEDBACK_TALLY: {_T: CHECKING_BACK, _F: CHECKING_BACK},
}


def allowed(role: Role, action: Action, phase: Phase) -> bool:
    """Whether ``role`` may take ``action`` while the engagement is in ``phase``."""
    return phase in TABLE[action].get(role, NEVER)


def allowed_any(roles: Iterable[Role], action: Action, phase: Phase) -> bool:
    """Whether any of a person's roles allows the action (a person may hold several)."""
    return any(allowed(role, action, phase) for role in roles)


def as_markdown() -> str:
    """The table as Markdown, one section per action: the form docs/permissions.md holds."""
    roles = list(Role)
    phases = list(Phase)
    lines = [
        "# Permissions",
        "",
        "Generated from `heard/core/permissions.py` by `heard permissions --markdown`; a test",
        "keeps this page equal to the code. ✓ = allowed in that phase; · = refused.",
        "Someone with no role in an engagement, signed in or not, is *public*.",
        "",
    ]
    for action in Action:
        lines += [f"## {ACTION_DESCRIPTIONS[action]} (`{action}`)", ""]
        lines.append("| role | " + " | ".join(p.value for p in phases) + " |")
        lines.append("|---|" + "---|" * len(phases))
        for role in roles:
            cells = ["✓" if allowed(role, action, p) else "·" for p in phases]
            lines.append(f"| {role.value} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
