using Microsoft.AspNetCore.Components;
using StrategicAgent.Web.Domain;

namespace StrategicAgent.Web.Components.Shared;

/// <summary>
/// A chart of points (<see cref="LineChart"/>, <see cref="BarChart"/>): drawn again only when it is given other
/// points, caption or name. A page that renders again — a dashboard card or pin arriving, an answer's panel
/// opened — passes the same list, and its chart is not rebuilt, diffed and found unchanged each time.
/// </summary>
public abstract class ChartBase : ComponentBase
{
    private (IReadOnlyList<ChartPoint> Points, string? Caption, string ValueName)? _drawn;
    private bool _changed;

    [Parameter, EditorRequired] public IReadOnlyList<ChartPoint> Points { get; set; } = [];
    [Parameter] public string? Caption { get; set; }
    [Parameter] public string ValueName { get; set; } = "value";

    protected override bool ShouldRender() => _changed;

    protected sealed override void OnParametersSet()
    {
        _changed = _drawn is not { } d || !ReferenceEquals(d.Points, Points) || d.Caption != Caption || d.ValueName != ValueName;
        _drawn = (Points, Caption, ValueName);
        if (_changed)
        {
            OnPointsSet();
        }
    }

    /// <summary>New points to draw: work out what the drawing needs from them once.</summary>
    protected virtual void OnPointsSet()
    {
    }
}
