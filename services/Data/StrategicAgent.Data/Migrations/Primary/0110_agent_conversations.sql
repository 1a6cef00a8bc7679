-- The agent's conversations: the last plan of each (tenant, conversation id), so a follow-up
-- ("and for last quarter?") refines it even after the agent restarted or on another agent
-- instance. Primary only and not published: a conversation is the agent's working state, not
-- platform data. No foreign key to clients: rows are short-lived (expired ones are purged by the
-- agent) and a write batch must never be refused for one row.
CREATE TABLE IF NOT EXISTS agent_conversations (
    client_id        bigint      NOT NULL,
    conversation_id  text        NOT NULL,
    plan             jsonb       NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (client_id, conversation_id)
);
CREATE INDEX IF NOT EXISTS ix_agent_conversations_updated ON agent_conversations (updated_at);
