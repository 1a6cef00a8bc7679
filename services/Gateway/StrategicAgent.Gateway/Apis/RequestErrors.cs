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

    /// <summary>A caller's value as a problem quotes it: at most 60 characters (a 200,000-character value is not echoed back whole).</summary>
    public static string Quote(string value) => value.Length <= 60 ? value : value[..60] + "…";

    /// <summary>Whether a text holds a NUL character (U+0000), which PostgreSQL cannot store and no field accepts.</summary>
    public static bool HasNul(string? value) => value?.Contains('\0', StringComparison.Ordinal) == true;
}
