"""Working days (pure; no Django). Filled in by the policy calendar work of issue 5."""
