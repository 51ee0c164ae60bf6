"""Session truth and journeys: what the backend says against what the UI shows, after every step."""
