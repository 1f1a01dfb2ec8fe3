"""The tax side: payers and receivables as tax received them, payments, allocation, receipts, remittance."""
