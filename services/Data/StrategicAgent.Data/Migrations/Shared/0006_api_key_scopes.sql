-- What an API key may do. Every key is tied to one tenant; its scopes say which endpoints it may
-- call: 'query' (ask, SQL, predictions, reading the model registry) and 'admin' (training and
-- deploying models, which are shared by every tenant and so are operator actions). Existing keys
-- keep what they could safely do before: query only.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS scopes text[] NOT NULL DEFAULT '{query}';

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'api_keys_scopes_known' AND conrelid = 'api_keys'::regclass) THEN
        ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_known
            CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['query', 'admin']::text[]);
    END IF;
END
$$;
