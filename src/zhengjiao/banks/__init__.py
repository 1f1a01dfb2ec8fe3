"""The banks, simulated: accounts, withholding files, inquiries, transfers, deposit notices."""
