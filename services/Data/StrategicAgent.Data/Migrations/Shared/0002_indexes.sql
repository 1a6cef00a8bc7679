-- Indexes for the analytics queries (tenant + time, joins to dimensions) and the training reads
-- (done epics, pointed issues, merged PRs by time).
CREATE INDEX IF NOT EXISTS ix_teams_client             ON teams (client_id);
CREATE INDEX IF NOT EXISTS ix_users_client_team        ON users (client_id, team_id);
CREATE INDEX IF NOT EXISTS ix_projects_client          ON projects (client_id);
CREATE INDEX IF NOT EXISTS ix_issuetypes_client        ON issuetypes (client_id);
CREATE INDEX IF NOT EXISTS ix_statuses_client          ON statuses (client_id);
CREATE INDEX IF NOT EXISTS ix_status_mappings_client   ON status_mappings (client_id);
CREATE INDEX IF NOT EXISTS ix_issues_client_created    ON issues (client_id, created);
CREATE INDEX IF NOT EXISTS ix_issues_client_completed  ON issues (client_id, work_last_completed_at) WHERE work_last_completed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_issues_project           ON issues (project_id, created);
CREATE INDEX IF NOT EXISTS ix_issues_parent            ON issues (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_issues_assignee          ON issues (assignee_id);
CREATE INDEX IF NOT EXISTS ix_issues_type_status       ON issues (issuetype_id, status_id);
CREATE INDEX IF NOT EXISTS ix_issues_pointed           ON issues (client_id, created) WHERE story_points IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_repositories_client      ON repositories (client_id);
CREATE INDEX IF NOT EXISTS ix_prs_client_created       ON pull_requests (client_id, created_at);
CREATE INDEX IF NOT EXISTS ix_prs_repo_created         ON pull_requests (repository_id, created_at);
CREATE INDEX IF NOT EXISTS ix_prs_issue                ON pull_requests (issue_id) WHERE issue_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_prs_author_created       ON pull_requests (author_id, created_at);
CREATE INDEX IF NOT EXISTS ix_prs_merged               ON pull_requests (client_id, merged_at) WHERE merged_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_deployments_client_time  ON deployments (client_id, deployed_at);
CREATE INDEX IF NOT EXISTS ix_deployments_repo_time    ON deployments (repository_id, deployed_at);
CREATE INDEX IF NOT EXISTS ix_incidents_client_time    ON incidents (client_id, created_at);
CREATE INDEX IF NOT EXISTS ix_incidents_deployment     ON incidents (deployment_id);
