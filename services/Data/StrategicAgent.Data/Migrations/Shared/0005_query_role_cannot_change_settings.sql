-- Defence in depth under the validation service's function denylist: the query role must not
-- change settings from inside a query. Without this, one SELECT could call
-- set_config('app.client_id', '<other tenant>', true) in a CTE and read another tenant's rows in
-- the rest of the statement, or set_config('role', 'postgres', true) and leave sa_query for the
-- session user (a superuser) in the next statement. UPDATE pg_settings is set_config through a
-- view. Superusers (the services' own connections, the migrator) are not affected; TenantSession
-- sets app.client_id and statement_timeout before it switches to sa_query.
REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
REVOKE UPDATE ON pg_catalog.pg_settings FROM PUBLIC;
