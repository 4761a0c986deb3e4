"""Draft, check back, amend and endorse: the policy and its trace to what was heard (issue 7)."""
