"""What Slack calls: the Bolt listeners, one module per surface, with the forms they parse."""
