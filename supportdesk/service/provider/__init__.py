"""Identity providers behind the desk's service: where users and their factors live."""
