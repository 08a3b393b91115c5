"""supportdesk: a terminal kiosk for MFA support tickets."""

__version__ = "0.1.0"
