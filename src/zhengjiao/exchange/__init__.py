"""Messages between the sides: outbox, inbox, sequencing, signatures, transports."""
