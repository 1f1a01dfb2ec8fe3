"""Arrears (tax side): late fees, close of business, the enforcement ladder, deferred-payment
agreements, deferrals and write-offs by joint determination (issue 5; shared/DOMAIN.md §4–7)."""
