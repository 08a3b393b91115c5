"""The service over HTTP: the app, its dependencies and one router per area."""
