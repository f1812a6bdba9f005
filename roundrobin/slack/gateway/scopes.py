"""The bot scopes Round Robin uses, and why; manifest.yml must list exactly these."""

BOT_SCOPES = {
    "commands": "the /rr command",
    "app_mentions:read": "requests made with @Round Robin CODE in channels the app is in (the app_mention event)",
    "chat:write": "duty-change messages in a rotation's channels",
    "chat:write.public": "those messages in public channels Round Robin was not invited to",
    "users:read": (
        "who is a workspace admin (users.info), the directory (users.list) and who leaves or comes back "
        "(the user_change event), the app id (bots.info)"
    ),
    "users:read.email": "matching PagerDuty users to Slack users by email",
    "usergroups:read": "the on-duty user group picker (usergroups.list)",
    "usergroups:write": "creating on-duty user groups and keeping them equal to who is on duty",
    "channels:read": "checking a rotation's public channels exist and that whoever picks them is in them",
    "groups:read": "the same for private channels Round Robin was invited to",
    "channels:write.topic": "keeping a public channel's topic saying who is on duty",
    "groups:write.topic": "the same for private channels Round Robin was invited to",
}
