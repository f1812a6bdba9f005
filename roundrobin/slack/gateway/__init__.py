"""What calls Slack: delivery of the durable effects and its pacing, the directory, user groups,
the workspace facts, modals, replies and the App Home publisher."""
