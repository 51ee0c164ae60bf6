"""User journeys composed from pages. Flows never assert; they return what happened."""
