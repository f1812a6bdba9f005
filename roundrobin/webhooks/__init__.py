"""Signed webhooks: calls into a rotation (incoming.py), events out of it (outgoing.py), how both are
signed (signing.py), where events may go (addresses.py), and what managers set (settings.py)."""
