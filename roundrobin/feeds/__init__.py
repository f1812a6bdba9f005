"""Calendar feeds (ICS) and the timeline page: what the app serves about rotations outside Slack."""
