"""Change events: every write's record, the base of changelogs, recents and webhooks."""
