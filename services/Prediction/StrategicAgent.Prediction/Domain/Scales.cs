namespace StrategicAgent.Prediction.Domain;

/// <summary>Story-point scale and rework risk levels.</summary>
public static class Scales
{
    private static readonly double[] Fibonacci = [1, 2, 3, 5, 8, 13, 21];

    /// <summary>The nearest value on the planning-poker scale (ties go to the larger value: under-estimates hurt more).</summary>
    public static double NearestFibonacci(double points)
    {
        var best = Fibonacci[0];
        foreach (var f in Fibonacci)
        {
            if (Math.Abs(f - points) <= Math.Abs(best - points))
            {
                best = f;
            }
        }
        return best;
    }

    public static double RoundPoints(double points) => Math.Round(points, 1, MidpointRounding.AwayFromZero);

    public static RiskLevel RiskLevel(double probability, double high, double medium) =>
        probability > high ? Domain.RiskLevel.High : probability > medium ? Domain.RiskLevel.Medium : Domain.RiskLevel.Low;

    /// <summary>
    /// A 0..1 confidence for a regression from its interval: 1 when the interval is a point,
    /// 0.5 when it is as wide as the prediction itself, falling towards 0 as it widens.
    /// </summary>
    public static double IntervalConfidence(double prediction, double low, double high)
    {
        var width = Math.Max(0, high - low);
        var scale = Math.Max(Math.Abs(prediction), 1e-6);
        var c = 1.0 / (1.0 + width / scale);
        return Math.Round(Math.Clamp(c, 0, 1), 3);
    }
}
