"""Social organisations: registration, verification, members, documents and the public directory."""
