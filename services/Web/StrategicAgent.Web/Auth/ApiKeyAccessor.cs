using Microsoft.AspNetCore.Components.Authorization;

namespace StrategicAgent.Web.Auth;

/// <summary>The signed-in user's API key, on the server: from the circuit's (or request's) authentication state.</summary>
public sealed class ApiKeyAccessor(AuthenticationStateProvider authentication)
{
    public async Task<string?> GetAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return state.User.Key();
    }
}
