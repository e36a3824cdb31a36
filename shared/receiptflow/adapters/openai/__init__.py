"""OpenAI adapter: the vision provider (fallback reader) and the JSON schema it answers with."""
