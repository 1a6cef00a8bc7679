-- Every gRPC service checks, on each call (cached for Auth:TenantCacheSeconds, default 30 s), that
-- the tenant in the caller's token is still active: a token minted before its tenant was
-- deactivated stops working within that time, whatever its remaining lifetime
-- (docs/CONVENTIONS.md, "Who the caller is"). The services' logins may not read clients
-- themselves (sa_reader reads nothing outside a tenant session), so one SECURITY DEFINER function
-- answers exactly that question: true for an active tenant, false for an inactive or unknown one.
CREATE OR REPLACE FUNCTION public.app_tenant_active(tenant bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_catalog
AS $$ SELECT coalesce((SELECT c.active FROM public.clients c WHERE c.id = tenant), false) $$;

REVOKE EXECUTE ON FUNCTION public.app_tenant_active(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.app_tenant_active(bigint) TO sa_reader, sa_ml;
