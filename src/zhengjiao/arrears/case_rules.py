"""The enforcement case state machine (pure; no Django). Filled in by issue 5's ladder work."""
