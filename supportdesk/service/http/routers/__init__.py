"""One router per area: parse the request, call one operation, shape the response."""
