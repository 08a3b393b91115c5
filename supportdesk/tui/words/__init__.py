"""What the desk calls things: words for the codes the service speaks in.

Plain data and functions (no widgets), so wording is tested without running the desk.
"""
