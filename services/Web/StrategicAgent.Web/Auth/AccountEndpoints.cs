using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace StrategicAgent.Web.Auth;

/// <summary>Sign-out, and the landing place of a page whose key the gateway refused.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/signout", async (HttpContext http) =>
            {
                await http.SignOutAsync(WebClaims.Scheme);
                return TypedResults.LocalRedirect("/signin?reason=signed-out");
            })
            .WithMetadata(new RequireAntiforgeryTokenAttribute());

        // A page got a 401 from the gateway: the key is checked once more here (a GET must not sign
        // anyone out on another site's say-so), and only a key the gateway refuses ends the session.
        app.MapGet("/account/session-ended", async (HttpContext http, SessionValidator validator) =>
        {
            if (http.User.Identity?.IsAuthenticated == true && await validator.RevalidateAsync(http.User, http.RequestAborted) is not null)
            {
                return TypedResults.LocalRedirect("/");
            }
            await http.SignOutAsync(WebClaims.Scheme);
            return TypedResults.LocalRedirect("/signin?reason=expired");
        });
        return app;
    }
}
