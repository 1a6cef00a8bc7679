using System.Globalization;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>What the scheduler knows about one model when it decides.</summary>
public sealed record RetrainingInputs(
    string ModelName,
    long AvailableRows,
    DateTimeOffset? LatestData,
    DateTimeOffset? LastTrainedAt,
    long? LastTrainingRows,
    long? LastVersionId,
    bool RunInProgress);

/// <summary>The scheduler's decision, with the numbers behind it.</summary>
public sealed record RetrainingDecision(
    string ModelName,
    bool Due,
    string Reason,
    double? DaysSinceTraining,
    long? NewRecords,
    double MaxAgeDays,
    long MinNewRecords,
    string? RequestId);

/// <summary>
/// Retrain a model when it is old enough AND enough new rows arrived since its last training
/// (retraining on unchanged data changes nothing; retraining every few new rows churns). A model
/// never trained is due as soon as it has its minimum training rows.
/// </summary>
public static class RetrainingPolicy
{
    public static RetrainingDecision Decide(RetrainingInputs x, ModelTrainingOptions o, int minRows, DateTimeOffset now)
    {
        if (x.RunInProgress)
        {
            return new(x.ModelName, false, "A training of this model is queued or running.", null, null, o.MaxAgeDays, o.MinNewRecords, null);
        }
        if (x.LastTrainedAt is null)
        {
            var due = x.AvailableRows >= minRows;
            return new(x.ModelName, due,
                due ? $"Never trained; {x.AvailableRows} rows available (≥ {minRows})."
                    : $"Never trained, but only {x.AvailableRows} rows available (< {minRows}).",
                null, x.AvailableRows, o.MaxAgeDays, o.MinNewRecords,
                due ? RequestId(x, now) : null);
        }
        var days = (now - x.LastTrainedAt.Value).TotalDays;
        var newRecords = Math.Max(0, x.AvailableRows - (x.LastTrainingRows ?? 0));
        var old = days >= o.MaxAgeDays;
        var enough = newRecords >= o.MinNewRecords;
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"{days:0.0} days since training ({(old ? "≥" : "<")} {o.MaxAgeDays}), {newRecords} new rows ({(enough ? "≥" : "<")} {o.MinNewRecords}).");
        return new(x.ModelName, old && enough, reason, days, newRecords, o.MaxAgeDays, o.MinNewRecords,
            old && enough ? RequestId(x, now) : null);
    }

    /// <summary>Stable for one state of the data, so a second scheduler (or a second tick) asks for the same training.</summary>
    private static string RequestId(RetrainingInputs x, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"scheduler:{x.ModelName}:v{x.LastVersionId ?? 0}:rows{x.AvailableRows}:{now:yyyyMMdd}");
}
