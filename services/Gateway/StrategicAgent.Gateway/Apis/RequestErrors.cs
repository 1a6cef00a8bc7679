using Microsoft.AspNetCore.Http.HttpResults;

namespace StrategicAgent.Gateway.Apis;

/// <summary>400 answers for requests the gateway can reject before calling anything downstream.</summary>
internal static class RequestErrors
{
    public static ValidationProblem Problem(string field, string message) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [message] },
            detail: message,
            title: "Invalid request");
}
