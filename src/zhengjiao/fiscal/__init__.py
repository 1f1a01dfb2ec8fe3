"""The finance side: the fiscal special account per insurance type."""
