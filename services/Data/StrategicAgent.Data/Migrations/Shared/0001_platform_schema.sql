-- The platform's operational tables: the schema contract of DESIGN.md. Names are a contract;
-- extra columns are allowed. Every row is tenant-owned through client_id (directly).
CREATE TABLE IF NOT EXISTS clients (
    id      bigint PRIMARY KEY,
    name    text    NOT NULL,
    active  boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS teams (
    id        bigint PRIMARY KEY,
    client_id bigint  NOT NULL REFERENCES clients(id),
    name      text    NOT NULL,
    active    boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS users (
    id        bigint PRIMARY KEY,
    client_id bigint  NOT NULL REFERENCES clients(id),
    team_id   bigint  REFERENCES teams(id),
    name      text    NOT NULL,
    email     text,
    active    boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS projects (
    id        bigint PRIMARY KEY,
    client_id bigint  NOT NULL REFERENCES clients(id),
    key       text    NOT NULL,
    name      text    NOT NULL,
    team_id   bigint  REFERENCES teams(id),
    active    boolean NOT NULL DEFAULT true,
    UNIQUE (client_id, key)
);

CREATE TABLE IF NOT EXISTS issuetypes (
    id            bigint PRIMARY KEY,
    client_id     bigint  NOT NULL REFERENCES clients(id),
    original_name text    NOT NULL,
    active        boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS status_mappings (
    id          bigint PRIMARY KEY,
    client_id   bigint  NOT NULL REFERENCES clients(id),
    status_from text    NOT NULL,
    status_to   text    NOT NULL CHECK (status_to IN ('To Do', 'In Progress', 'Done')),
    active      boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS statuses (
    id                bigint PRIMARY KEY,
    client_id         bigint  NOT NULL REFERENCES clients(id),
    original_name     text    NOT NULL,
    status_mapping_id bigint  REFERENCES status_mappings(id),
    active            boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS issues (
    id                      bigint PRIMARY KEY,
    client_id               bigint  NOT NULL REFERENCES clients(id),
    project_id              bigint  NOT NULL REFERENCES projects(id),
    key                     text    NOT NULL,
    summary                 text    NOT NULL,
    description             text,
    issuetype_id            bigint  NOT NULL REFERENCES issuetypes(id),
    status_id               bigint  NOT NULL REFERENCES statuses(id),
    priority                text,
    assignee_id             bigint  REFERENCES users(id),
    reporter_id             bigint  REFERENCES users(id),
    parent_id               bigint  REFERENCES issues(id),
    story_points            numeric(6,1),
    comment_count           integer NOT NULL DEFAULT 0,
    created                 timestamptz NOT NULL,
    updated                 timestamptz NOT NULL,
    work_first_started_at   timestamptz,
    work_last_completed_at  timestamptz,
    total_lead_time_seconds bigint,
    custom_field_01         text,
    custom_field_02         text,
    custom_field_03         text,
    custom_field_04         text,
    custom_field_05         text,
    active                  boolean NOT NULL DEFAULT true,
    UNIQUE (client_id, key)
);

CREATE TABLE IF NOT EXISTS repositories (
    id        bigint PRIMARY KEY,
    client_id bigint  NOT NULL REFERENCES clients(id),
    name      text    NOT NULL,
    full_name text    NOT NULL,
    team_id   bigint  REFERENCES teams(id),
    active    boolean NOT NULL DEFAULT true,
    UNIQUE (client_id, full_name)
);

CREATE TABLE IF NOT EXISTS pull_requests (
    id                  bigint PRIMARY KEY,
    client_id           bigint  NOT NULL REFERENCES clients(id),
    repository_id       bigint  NOT NULL REFERENCES repositories(id),
    issue_id            bigint  REFERENCES issues(id),
    number              integer NOT NULL,
    title               text    NOT NULL,
    author_id           bigint  REFERENCES users(id),
    commit_count        integer,
    changed_files       integer,
    additions           integer,
    deletions           integer,
    review_cycles       integer,
    rework_commit_count integer,
    created_at          timestamptz NOT NULL,
    merged_at           timestamptz,
    closed_at           timestamptz,
    status              text    NOT NULL CHECK (status IN ('open', 'merged', 'closed')),
    active              boolean NOT NULL DEFAULT true,
    UNIQUE (repository_id, number)
);

CREATE TABLE IF NOT EXISTS deployments (
    id                bigint PRIMARY KEY,
    client_id         bigint NOT NULL REFERENCES clients(id),
    repository_id     bigint NOT NULL REFERENCES repositories(id),
    environment       text   NOT NULL,
    status            text   NOT NULL CHECK (status IN ('success', 'failed', 'rolled_back')),
    deployed_at       timestamptz NOT NULL,
    lead_time_seconds bigint
);

CREATE TABLE IF NOT EXISTS incidents (
    id            bigint PRIMARY KEY,
    client_id     bigint NOT NULL REFERENCES clients(id),
    deployment_id bigint REFERENCES deployments(id),
    created_at    timestamptz NOT NULL,
    resolved_at   timestamptz,
    severity      text   NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4'))
);
