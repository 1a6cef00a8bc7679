using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Training;

/// <summary>
/// Time-ordered split: the oldest rows train, the next ones calibrate (conformal intervals,
/// probability calibration, anomaly thresholds: never trained on), the newest ones test.
/// </summary>
public sealed record TimeSplit<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Calibration, IReadOnlyList<T> Test)
{
    public DateTime TestFrom { get; init; }
}

public static class TimeSplit
{
    public static TimeSplit<T> Split<T>(IReadOnlyList<T> rows, Func<T, DateTime> time, Func<T, long> id, double trainFraction, double calibrationFraction)
    {
        var ordered = rows.OrderBy(time).ThenBy(id).ToList();
        var nTrain = (int)Math.Round(ordered.Count * trainFraction);
        var nCal = (int)Math.Round(ordered.Count * calibrationFraction);
        var test = ordered.Skip(nTrain + nCal).ToList();
        return new TimeSplit<T>(ordered.Take(nTrain).ToList(), ordered.Skip(nTrain).Take(nCal).ToList(), test)
        {
            TestFrom = test.Count > 0 ? time(test[0]) : DateTime.MaxValue,
        };
    }

    public static TimeSplit<T> Split<T>(IReadOnlyList<T> rows, Hyperparameters h) where T : IFeatureRow =>
        Split(rows, r => r.LabelKnownAt, r => r.EntityId, h.TrainFraction, h.CalibrationFraction);
}
