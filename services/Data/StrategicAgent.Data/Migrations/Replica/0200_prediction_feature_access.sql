-- The prediction service reads features inside a TenantSession (role sa_query, READ ONLY,
-- row-level security on app.client_id). The feature views are owned by the migrating superuser,
-- which would bypass row-level security; security_invoker makes them check the reader's
-- privileges and policies instead, so a feature read can only ever see the caller's tenant.
-- Every view of the ml schema (the feature views and any helper views they read) gets this,
-- except anomaly_features, which reads the prediction log: the ml tables themselves (registry,
-- log, alerts) stay invisible to sa_query.
GRANT USAGE ON SCHEMA ml TO sa_query;

DO $$
DECLARE
    v text;
BEGIN
    FOR v IN SELECT viewname FROM pg_views WHERE schemaname = 'ml' AND viewname <> 'anomaly_features'
    LOOP
        EXECUTE format('ALTER VIEW ml.%I SET (security_invoker = true)', v);
        EXECUTE format('GRANT SELECT ON ml.%I TO sa_query', v);
    END LOOP;
END
$$;
