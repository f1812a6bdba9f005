"""Schema migrations, applied in order; the database's PRAGMA user_version counts how many ran.

Never edit a migration that has shipped: add a new one. Times are Unix seconds (REAL), secrets are
Fernet tokens (columns ending in _enc).
"""

MIGRATIONS: list[str] = [
    # 1: the PagerDuty connection, OAuth login states, Round Robin owners, minimal rotations, history.
    """
    CREATE TABLE pagerduty_connection (
        id                 INTEGER PRIMARY KEY CHECK (id = 1),
        method             TEXT NOT NULL CHECK (method IN ('api_key', 'oauth')),
        status             TEXT NOT NULL CHECK (status IN ('connected', 'needs_reauth')),
        region             TEXT NOT NULL CHECK (region IN ('us', 'eu')),
        api_key_enc        TEXT,
        api_key_last4      TEXT,
        client_id          TEXT,
        client_secret_enc  TEXT,
        access_token_enc   TEXT,
        refresh_token_enc  TEXT,
        token_expires_at   REAL,
        granted_scopes     TEXT,
        pd_account         TEXT,
        pd_user_id         TEXT,
        pd_user_name       TEXT,
        connected_by       TEXT NOT NULL,
        connected_at       REAL NOT NULL,
        last_sync_at       REAL,
        last_sync_ok_at    REAL,
        last_error         TEXT,
        last_error_at      REAL
    );

    CREATE TABLE oauth_states (
        state_hash         TEXT PRIMARY KEY,
        slack_user_id      TEXT NOT NULL,
        region             TEXT NOT NULL,
        client_id          TEXT NOT NULL,
        client_secret_enc  TEXT NOT NULL,
        code_verifier_enc  TEXT NOT NULL,
        view_id            TEXT,
        created_at         REAL NOT NULL,
        expires_at         REAL NOT NULL,
        used_at            REAL
    );

    CREATE TABLE owners (
        slack_user_id      TEXT PRIMARY KEY,
        added_by           TEXT NOT NULL,
        added_at           REAL NOT NULL
    );

    CREATE TABLE rotations (
        id                 INTEGER PRIMARY KEY,
        name               TEXT NOT NULL,
        code               TEXT NOT NULL UNIQUE,
        source             TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'pagerduty')),
        pd_schedule_id     TEXT,
        created_by         TEXT NOT NULL,
        created_at         REAL NOT NULL,
        updated_at         REAL NOT NULL
    );

    CREATE TABLE rotation_members (
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        position           INTEGER NOT NULL,
        slack_user_id      TEXT NOT NULL,
        on_duty            INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (rotation_id, position)
    );

    CREATE TABLE events (
        id                 INTEGER PRIMARY KEY,
        at                 REAL NOT NULL,
        kind               TEXT NOT NULL,
        rotation_id        INTEGER REFERENCES rotations(id) ON DELETE SET NULL,
        actor              TEXT,
        detail             TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_by_rotation ON events (rotation_id, at);
    """,
    # 2: full rotations (schedule, duty, channels, user group), PagerDuty mirror tables, Slack directory.
    """
    ALTER TABLE rotations ADD COLUMN description TEXT NOT NULL DEFAULT '';
    ALTER TABLE rotations ADD COLUMN schedule TEXT NOT NULL DEFAULT '{"kind": "manual"}';
    ALTER TABLE rotations ADD COLUMN next_handoff_at REAL;
    ALTER TABLE rotations ADD COLUMN on_duty_since REAL;
    ALTER TABLE rotations ADD COLUMN on_duty_until REAL;
    ALTER TABLE rotations ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE rotations ADD COLUMN usergroup_id TEXT;
    ALTER TABLE rotations ADD COLUMN usergroup_handle TEXT;
    ALTER TABLE rotations ADD COLUMN usergroup_disabled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rotations ADD COLUMN slack_problem TEXT;
    ALTER TABLE rotations ADD COLUMN pd_status TEXT;
    ALTER TABLE rotations ADD COLUMN pd_unmatched TEXT NOT NULL DEFAULT '[]';
    CREATE INDEX rotations_due ON rotations (next_handoff_at) WHERE next_handoff_at IS NOT NULL;
    CREATE INDEX rotations_bound ON rotations (pd_schedule_id) WHERE pd_schedule_id IS NOT NULL;
    CREATE UNIQUE INDEX rotation_members_once ON rotation_members (rotation_id, slack_user_id);

    CREATE TABLE pd_schedules (
        id                 TEXT PRIMARY KEY,
        name               TEXT NOT NULL,
        version            INTEGER NOT NULL DEFAULT 2,
        time_zone          TEXT,
        html_url           TEXT,
        member_ids         TEXT NOT NULL DEFAULT '[]',
        seen_at            REAL NOT NULL
    );
    CREATE INDEX pd_schedules_by_name ON pd_schedules (name COLLATE NOCASE);

    CREATE TABLE pd_users (
        id                 TEXT PRIMARY KEY,
        name               TEXT NOT NULL,
        email              TEXT,
        html_url           TEXT,
        seen_at            REAL NOT NULL
    );
    CREATE INDEX pd_users_by_email ON pd_users (email COLLATE NOCASE);

    CREATE TABLE pd_user_links (
        pd_user_id         TEXT PRIMARY KEY,
        slack_user_id      TEXT NOT NULL,
        linked_by          TEXT NOT NULL,
        linked_at          REAL NOT NULL
    );

    CREATE TABLE pd_shifts (
        schedule_id        TEXT NOT NULL,
        pd_user_id         TEXT NOT NULL,
        start              REAL NOT NULL,
        end                REAL,
        PRIMARY KEY (schedule_id, pd_user_id, start)
    );

    CREATE TABLE slack_directory (
        id                 TEXT PRIMARY KEY,
        name               TEXT NOT NULL,
        real_name          TEXT,
        email              TEXT,
        is_bot             INTEGER NOT NULL DEFAULT 0,
        deleted            INTEGER NOT NULL DEFAULT 0,
        seen_at            REAL NOT NULL
    );
    CREATE INDEX slack_directory_by_email ON slack_directory (email);  -- stored lower-case

    CREATE TABLE meta (
        key                TEXT PRIMARY KEY,
        value              TEXT NOT NULL
    );
    """,
    # 3: durable Slack effects: each on-duty group's desired and confirmed state, an outbox of messages;
    # revisions for compare-and-set; one user group per rotation.
    """
    ALTER TABLE rotations ADD COLUMN config_rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rotations ADD COLUMN duty_rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rotations ADD COLUMN duty_actor TEXT;
    ALTER TABLE rotations ADD COLUMN duty_changed_at REAL;
    ALTER TABLE rotations DROP COLUMN slack_problem;
    ALTER TABLE rotations DROP COLUMN usergroup_disabled;
    -- Two rotations fighting over one group: the older keeps it.
    UPDATE rotations SET usergroup_id = NULL, usergroup_handle = NULL
     WHERE usergroup_id IS NOT NULL
       AND id NOT IN (SELECT MIN(id) FROM rotations WHERE usergroup_id IS NOT NULL GROUP BY usergroup_id);
    CREATE UNIQUE INDEX rotations_one_per_group ON rotations (usergroup_id) WHERE usergroup_id IS NOT NULL;

    CREATE TABLE usergroup_sync (
        rotation_id        INTEGER PRIMARY KEY REFERENCES rotations(id) ON DELETE CASCADE,
        usergroup_id       TEXT NOT NULL,
        desired            TEXT NOT NULL,          -- {"enabled": bool, "users": [...]}
        applied            TEXT,                   -- what Slack last confirmed; NULL: not known
        attempts           INTEGER NOT NULL DEFAULT 0,
        next_attempt_at    REAL NOT NULL DEFAULT 0,
        failing_since      REAL,
        error              TEXT,                   -- words for the rotation, when it is worth showing
        permanent          INTEGER NOT NULL DEFAULT 0,
        repaired_at        REAL                    -- when a change made by hand in Slack was undone
    );

    CREATE TABLE slack_outbox (
        id                 INTEGER PRIMARY KEY,
        kind               TEXT NOT NULL,          -- duty | reverted | dm_on | dm_off | reminder | …
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        target             TEXT NOT NULL,          -- a channel id (or a user id, for DMs)
        ref                TEXT NOT NULL DEFAULT '',  -- tells apart messages of one kind (a request id)
        body               TEXT NOT NULL,          -- what to say, as data; rendered when sent
        version            INTEGER NOT NULL DEFAULT 1,
        first_at           REAL NOT NULL,          -- the oldest change this message carries
        due_at             REAL NOT NULL,
        attempts           INTEGER NOT NULL DEFAULT 0,
        failing_since      REAL,
        error              TEXT,
        failed             INTEGER NOT NULL DEFAULT 0,  -- refused for good: kept to show why
        UNIQUE (kind, rotation_id, target, ref)
    );
    CREATE INDEX slack_outbox_due ON slack_outbox (due_at) WHERE failed = 0;
    """,
    # 4: who PagerDuty has on call next, and when hands change, as the sync last saw it.
    """
    ALTER TABLE rotations ADD COLUMN next_on_duty TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE rotations ADD COLUMN next_change_at REAL;
    CREATE INDEX rotations_next_change ON rotations (next_change_at) WHERE next_change_at IS NOT NULL;
    """,
    # 5: the daily-use features: channel topics, direct messages and reminders, message templates,
    # requests made with @Round Robin, and who may hand over.
    """
    ALTER TABLE rotations ADD COLUMN topic_channels TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE rotations ADD COLUMN dm_on_duty INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rotations ADD COLUMN dm_off_duty INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rotations ADD COLUMN remind_before INTEGER;          -- seconds before a planned hand-over
    ALTER TABLE rotations ADD COLUMN templates TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE rotations ADD COLUMN request_expiry_minutes INTEGER NOT NULL DEFAULT 60;
    ALTER TABLE rotations ADD COLUMN members_may_rotate INTEGER NOT NULL DEFAULT 1;

    -- The topic Round Robin keeps in a channel. No foreign key: clearing Round Robin's own topic
    -- must outlive a deleted rotation.
    CREATE TABLE channel_topics (
        channel_id         TEXT NOT NULL,
        rotation_id        INTEGER NOT NULL,
        desired            TEXT,                   -- what to say, as data; NULL: clear our own topic
        desired_rev        INTEGER NOT NULL DEFAULT 1,
        applied_rev        INTEGER NOT NULL DEFAULT 0,
        applied_text       TEXT,                   -- the topic Round Robin last set (and Slack took)
        left_alone         TEXT,                   -- someone else's topic, found and left as it was
        attempts           INTEGER NOT NULL DEFAULT 0,
        next_attempt_at    REAL NOT NULL DEFAULT 0,
        failing_since      REAL,
        error              TEXT,
        permanent          INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (channel_id, rotation_id)
    );

    CREATE TABLE dm_mutes (
        slack_user_id      TEXT PRIMARY KEY,
        muted_at           REAL NOT NULL
    );

    CREATE TABLE requests (
        id                 INTEGER PRIMARY KEY,
        rotation_id        INTEGER REFERENCES rotations(id) ON DELETE SET NULL,
        code               TEXT NOT NULL,
        channel_id         TEXT NOT NULL,
        thread_ts          TEXT NOT NULL,
        requester          TEXT NOT NULL,
        text               TEXT NOT NULL,
        state              TEXT NOT NULL CHECK (state IN ('open', 'acked', 'expired', 'unanswered')),
        offered_to         TEXT NOT NULL DEFAULT '[]',
        passed_by          TEXT NOT NULL DEFAULT '[]',
        acked_by           TEXT,
        created_at         REAL NOT NULL,
        expires_at         REAL NOT NULL,
        closed_at          REAL
    );
    CREATE INDEX requests_open ON requests (expires_at) WHERE state = 'open';
    """,
    # 6: whose screen each modal Round Robin opened is on (a redraw names a view id, and a crafted
    # payload could name someone else's), and who wrote each custom template.
    """
    CREATE TABLE slack_views (
        view_id            TEXT PRIMARY KEY,
        slack_user_id      TEXT NOT NULL,
        opened_at          REAL NOT NULL
    );
    CREATE INDEX slack_views_opened ON slack_views (opened_at);

    -- A new user group is created after the rotation is saved, by the delivery worker: a save that
    -- fails never leaves a group behind in Slack. Until then the rotation has only its handle.
    ALTER TABLE rotations ADD COLUMN usergroup_create INTEGER NOT NULL DEFAULT 0;

    -- A PagerDuty login is bound to the browser that opened it: the Slack modal's link goes to the
    -- app's own start URL first (single use), which sets a cookie the callback then requires.
    ALTER TABLE oauth_states ADD COLUMN start_hash TEXT;
    ALTER TABLE oauth_states ADD COLUMN authorize_url_enc TEXT;
    ALTER TABLE oauth_states ADD COLUMN started_at REAL;
    ALTER TABLE oauth_states ADD COLUMN browser_hash TEXT;
    CREATE UNIQUE INDEX oauth_states_start ON oauth_states (start_hash) WHERE start_hash IS NOT NULL;

    -- Whose words each custom template is (surface → Slack user): messages say so.
    ALTER TABLE rotations ADD COLUMN template_authors TEXT NOT NULL DEFAULT '{}';
    """,
    # 7: who Slack keeps out of user groups, as the directory learns it: guests (single-channel or
    # not), and ids Slack no longer knows (users.info: user_not_found) met in an on-duty group.
    """
    ALTER TABLE slack_directory ADD COLUMN is_restricted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE slack_directory ADD COLUMN is_ultra_restricted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE slack_directory ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: following only the bound PagerDuty schedules (no catalogue): what reads taught about each,
    # and the reads that fail for a reason that will not change by itself, backed off.
    """
    ALTER TABLE pd_schedules ADD COLUMN routed INTEGER;     -- some escalation policy uses it; NULL: not known yet
    ALTER TABLE pd_schedules ADD COLUMN week_rows REAL;     -- /oncalls rows in a week, to size batches
    ALTER TABLE pd_schedules ADD COLUMN levels REAL;        -- /oncalls rows per stint (policy, level pairs)
    ALTER TABLE pd_schedules ADD COLUMN planned_at REAL;    -- when its week ahead was last read; NULL: never
    ALTER TABLE pd_schedules ADD COLUMN detail_at REAL;     -- when its own page (members, policies) was last read

    CREATE TABLE pd_read_failures (
        what               TEXT PRIMARY KEY,       -- 'poll', 'people', 'census', or 'schedule:<id>'
        error              TEXT NOT NULL,          -- in plain words, safe to show to an admin
        advice             TEXT NOT NULL,          -- what to do about it
        first_at           REAL NOT NULL,
        last_at            REAL NOT NULL,
        retry_at           REAL NOT NULL,
        attempts           INTEGER NOT NULL
    );
    """,
    # 9: one word per thing: a rotation's next hand-over, and who PagerDuty has on call next ("next up").
    """
    ALTER TABLE rotations RENAME COLUMN next_handoff_at TO next_hand_over_at;
    ALTER TABLE rotations RENAME COLUMN next_on_duty TO pd_next_up;
    """,
    # 10: the timeline: several on duty, working hours and holidays, the turn as the order has it
    # (covers and time away put others on duty without moving it), and what people change on it:
    # covers, swaps and skips (overrides), time away, and the cover and swap requests in between.
    """
    ALTER TABLE rotations ADD COLUMN duty_size INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE rotations ADD COLUMN hand_over_all INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE rotations ADD COLUMN turn_people TEXT NOT NULL DEFAULT '[]';  -- '[]': the people on duty
    ALTER TABLE rotations ADD COLUMN turn_since REAL;                         -- NULL: on_duty_since
    ALTER TABLE rotations ADD COLUMN working_hours TEXT;                      -- JSON; NULL: always on duty
    ALTER TABLE rotations ADD COLUMN holidays TEXT;                           -- JSON; NULL: no holidays

    CREATE TABLE overrides (
        id                 INTEGER PRIMARY KEY,
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        kind               TEXT NOT NULL CHECK (kind IN ('cover', 'skip')),
        why                TEXT NOT NULL DEFAULT 'cover',   -- cover | swap
        person_out         TEXT NOT NULL,
        person_in          TEXT,
        start_at           REAL NOT NULL,
        end_at             REAL NOT NULL,
        created_by         TEXT NOT NULL,
        created_at         REAL NOT NULL,
        note               TEXT NOT NULL DEFAULT '',
        ref                TEXT                              -- the request or swap it came from
    );
    CREATE INDEX overrides_rotation ON overrides (rotation_id, end_at);

    CREATE TABLE time_away (
        id                 INTEGER PRIMARY KEY,
        slack_user_id      TEXT NOT NULL,
        start_at           REAL NOT NULL,
        end_at             REAL NOT NULL,
        note               TEXT NOT NULL DEFAULT '',
        created_at         REAL NOT NULL
    );
    CREATE INDEX time_away_person ON time_away (slack_user_id, end_at);

    CREATE TABLE shift_requests (
        id                 INTEGER PRIMARY KEY,
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        kind               TEXT NOT NULL CHECK (kind IN ('cover', 'swap')),
        requester          TEXT NOT NULL,
        start_at           REAL NOT NULL,                   -- the requester's shift (or part of it)
        end_at             REAL NOT NULL,
        target             TEXT,                            -- swap: whose shift is asked for
        target_start       REAL,
        target_end         REAL,
        state              TEXT NOT NULL CHECK (state IN ('open', 'taken', 'declined', 'expired', 'cancelled')),
        offered_to         TEXT NOT NULL DEFAULT '[]',
        taken_by           TEXT,
        note               TEXT NOT NULL DEFAULT '',
        created_at         REAL NOT NULL,
        expires_at         REAL NOT NULL,
        closed_at          REAL
    );
    CREATE INDEX shift_requests_open ON shift_requests (expires_at) WHERE state = 'open';
    """,
    # 11: why the people on duty are (a cover, time away, outside working hours, a holiday), as
    # the timeline said when duty was settled: the card tells "Outside working hours until Mon 09:00".
    """
    ALTER TABLE rotations ADD COLUMN duty_why TEXT NOT NULL DEFAULT 'turn';
    """,
    # 12: members that follow a Slack user group: which group and turn order, who left the group
    # during their shift (they leave the rotation at the next hand-over), and what Round Robin last
    # knew of the group (Slack's date_update, from subteam_members_changed; when it last read it).
    """
    CREATE TABLE member_groups (
        rotation_id        INTEGER PRIMARY KEY REFERENCES rotations(id) ON DELETE CASCADE,
        usergroup_id       TEXT NOT NULL,
        handle             TEXT NOT NULL,
        turn_order         TEXT NOT NULL DEFAULT 'group' CHECK (turn_order IN ('group', 'alphabetical')),
        leaving            TEXT NOT NULL DEFAULT '[]',
        seen_update        REAL,                            -- the group's date_update, when known
        checked_at         REAL                             -- when its people were last read from Slack
    );
    CREATE INDEX member_groups_group ON member_groups (usergroup_id);
    """,
    # 13: Slack status as a signal at hand-over (rotations/status.py): each person's status emoji and
    # when it expires, from users.list and user_change; what each rotation does about it; the
    # questions asked of people about to go on duty (Take it / Skip me); the warnings sent to people
    # PagerDuty has on call whose status says they are away (once per shift).
    """
    ALTER TABLE slack_directory ADD COLUMN status_emoji TEXT;          -- ':palm_tree:'; NULL: none
    ALTER TABLE slack_directory ADD COLUMN status_expiration REAL;     -- Unix seconds; NULL or 0: never
    ALTER TABLE rotations ADD COLUMN status_signal TEXT;               -- JSON; NULL: ignore the status

    CREATE TABLE status_questions (
        id                 INTEGER PRIMARY KEY,
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        person             TEXT NOT NULL,
        emoji              TEXT NOT NULL,
        reason             TEXT NOT NULL,                   -- the hand-over that waits: handoff | rotated | handed_over
        actor              TEXT,                            -- who started it (NULL: the schedule)
        turn_from          TEXT NOT NULL,                   -- JSON: whose turn it was when asked
        state              TEXT NOT NULL CHECK (state IN ('open', 'taken', 'skipped', 'expired', 'moot')),
        asked_at           REAL NOT NULL,
        expires_at         REAL NOT NULL,
        closed_at          REAL
    );
    CREATE INDEX status_questions_open ON status_questions (expires_at) WHERE state = 'open';
    CREATE UNIQUE INDEX status_questions_one_open ON status_questions (rotation_id) WHERE state = 'open';
    CREATE INDEX status_questions_rotation ON status_questions (rotation_id, asked_at);

    CREATE TABLE status_warnings (
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        person             TEXT NOT NULL,
        shift_start        REAL NOT NULL,
        emoji              TEXT NOT NULL,
        warned_at          REAL NOT NULL,
        PRIMARY KEY (rotation_id, person, shift_start)
    );
    """,
    # 14: messages the app posted and may edit later (an offer to cover, once someone took it): where
    # each landed (Slack's channel and ts), under the key its kind gives it, per target.
    """
    CREATE TABLE kept_messages (
        key                TEXT NOT NULL,                   -- 'shift:<request id>'
        target             TEXT NOT NULL,                   -- whom it was sent to: a channel or a person
        channel            TEXT NOT NULL,                   -- where Slack put it (a DM's D… id)
        ts                 TEXT NOT NULL,
        kept_at            REAL NOT NULL,
        PRIMARY KEY (key, target)
    );
    """,
    # 15: calendar feeds (issue 19): one secret subscription link per person and per rotation. The
    # link's secret is derived from the app's key and `salt` (so Settings can show it again; a new
    # salt is a reset), and only its SHA-256 is stored, to look the link up.
    """
    CREATE TABLE calendar_feeds (
        id                 INTEGER PRIMARY KEY,
        person             TEXT,                            -- a person's feed: all their duties
        rotation_id        INTEGER REFERENCES rotations(id) ON DELETE CASCADE,  -- or a rotation's
        salt               TEXT NOT NULL,
        token_hash         TEXT NOT NULL UNIQUE,
        made_by            TEXT,
        made_at            REAL NOT NULL,
        CHECK ((person IS NULL) != (rotation_id IS NULL))
    );
    CREATE UNIQUE INDEX calendar_feeds_person ON calendar_feeds (person) WHERE person IS NOT NULL;
    CREATE UNIQUE INDEX calendar_feeds_rotation ON calendar_feeds (rotation_id) WHERE rotation_id IS NOT NULL;
    """,
    # 16: on-call load and hand-off notes (issue 19). Each person's Slack time zone (nights are
    # theirs); each rotation's duty changes found by time (the Load tab reads a period of them); whether a
    # rotation asks for hand-off notes (NULL: yes for timed and PagerDuty-bound ones); the notes
    # written; and the ts of each hand-over's channel message, so a note can go in its thread.
    """
    ALTER TABLE slack_directory ADD COLUMN tz TEXT;                    -- 'Europe/London'; NULL: not known
    ALTER TABLE rotations ADD COLUMN handoff_notes INTEGER;            -- NULL: on for timed and bound rotations
    CREATE INDEX events_by_rotation_kind ON events (rotation_id, kind, at);

    CREATE TABLE handoff_notes (
        id                 INTEGER PRIMARY KEY,
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        author             TEXT NOT NULL,                   -- who went off duty
        hand_over_at       REAL NOT NULL,                   -- the planned hand-over it is for
        incoming           TEXT NOT NULL DEFAULT '[]',      -- JSON: who takes over
        note               TEXT NOT NULL,
        requests           TEXT NOT NULL DEFAULT '{}',      -- JSON: the shift's requests, summarised
        written_at         REAL NOT NULL,
        UNIQUE (rotation_id, author, hand_over_at)
    );

    CREATE TABLE announcements (
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        channel            TEXT NOT NULL,
        ts                 TEXT NOT NULL,
        posted_at          REAL NOT NULL,
        PRIMARY KEY (rotation_id, channel, ts)
    );
    CREATE INDEX announcements_recent ON announcements (rotation_id, channel, posted_at);
    """,
    # 17: webhooks (roundrobin/webhooks/): each rotation's signing secret (encrypted; the previous one
    # keeps working until old_until) and where its duty changes are posted; the signatures accepted
    # within the timestamp window (a replay is refused, across restarts); the events still to post
    # (delivered until the receiver answers 2xx); and the last deliveries and failures, for Details.
    """
    CREATE TABLE webhooks (
        rotation_id        INTEGER PRIMARY KEY REFERENCES rotations(id) ON DELETE CASCADE,
        name               TEXT NOT NULL,                   -- history says "by webhook (name)"
        secret_enc         TEXT,                            -- Vault-encrypted; NULL: no secret
        old_secret_enc     TEXT,                            -- the secret before the last rotation
        old_until          REAL,                            -- when the old secret stops working
        secret_at          REAL,                            -- when the current secret was made
        secret_by          TEXT,
        url                TEXT,                            -- outgoing: where duty changes are posted
        updated_by         TEXT NOT NULL,
        updated_at         REAL NOT NULL
    );

    CREATE TABLE webhook_seen (
        signature          TEXT PRIMARY KEY,
        rotation_id        INTEGER NOT NULL,
        expires_at         REAL NOT NULL                     -- the timestamp window closes then
    );
    CREATE INDEX webhook_seen_expiry ON webhook_seen (expires_at);

    CREATE TABLE webhook_outbox (
        id                 INTEGER PRIMARY KEY,
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        event_id           TEXT NOT NULL,
        body               TEXT NOT NULL,                    -- the event, as JSON
        created_at         REAL NOT NULL,
        due_at             REAL NOT NULL,
        attempts           INTEGER NOT NULL DEFAULT 0,
        error              TEXT,
        failing_since      REAL
    );
    CREATE INDEX webhook_outbox_rotation ON webhook_outbox (rotation_id, id);

    CREATE TABLE webhook_deliveries (
        id                 INTEGER PRIMARY KEY,
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        event_id           TEXT NOT NULL,
        at                 REAL NOT NULL,
        outcome            TEXT NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'gave_up')),
        detail             TEXT NOT NULL,                    -- "HTTP 200", "connection refused", …
        attempt            INTEGER NOT NULL
    );
    CREATE INDEX webhook_deliveries_rotation ON webhook_deliveries (rotation_id, id);
    """,
    # 18: several PagerDuty schedules in one rotation (primary + secondary, follow-the-sun): every
    # schedule a rotation follows, in the order chosen (rotations.pd_schedule_id stays the first, for
    # compatibility); which schedule put each person on duty, for the card's labels; and whether the
    # PagerDuty credential may write (an API key says so only by refusing a write: NULL, not known yet).
    """
    CREATE TABLE rotation_schedules (
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        position           INTEGER NOT NULL,
        schedule_id        TEXT NOT NULL,
        PRIMARY KEY (rotation_id, schedule_id)
    );
    CREATE INDEX rotation_schedules_schedule ON rotation_schedules (schedule_id);
    INSERT INTO rotation_schedules (rotation_id, position, schedule_id)
        SELECT id, 0, pd_schedule_id FROM rotations WHERE pd_schedule_id IS NOT NULL;
    ALTER TABLE rotations ADD COLUMN pd_on_call_from TEXT NOT NULL DEFAULT '[]';  -- JSON [[slack user, schedule]]
    ALTER TABLE pagerduty_connection ADD COLUMN write_access TEXT;     -- 'yes' | 'no'; NULL: not known
    """,
]
