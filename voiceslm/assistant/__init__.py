"""The private assistant's own parts: its database, documents, everyday tools and safety policy."""
