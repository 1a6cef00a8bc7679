using StrategicAgent.Protos.Agent.V1;
using Aggregation = StrategicAgent.Semantic.Aggregation;

namespace StrategicAgent.Agent.Grpc;

/// <summary>The semantic layer as the catalog message: built once (the layer is immutable), the same for every tenant.</summary>
public static class CatalogMapper
{
    private static readonly Lazy<Catalog> DefaultCatalog = new(() => From(SemanticModel.Default));

    public static Catalog Default => DefaultCatalog.Value;

    public static Catalog From(SemanticModel model)
    {
        var catalog = new Catalog();
        foreach (var m in model.Metrics)
        {
            var metric = new CatalogMetric
            {
                Name = m.Name,
                Title = m.Title,
                Family = m.Family,
                Entity = ToProto(m.Entity),
                Aggregation = ToProto(m.Aggregation),
                Unit = m.Unit,
                Definition = m.Definition,
                DefaultWindowDays = m.DefaultWindowDays ?? 0,
                DefaultDimension = m.DefaultDimension == Dimension.None ? "" : model.Dimension(m.DefaultDimension).ColumnFor(m.Entity),
                DoraBands = m.Dora?.Describe(m.Unit) ?? "",
            };
            metric.Dimensions.AddRange(model.DimensionsOf(m).Select(d => model.Dimension(d).ColumnFor(m.Entity)).Distinct());
            metric.Filters.AddRange(model.FiltersOf(m).Select(f => model.DimensionOf(f).Column));
            metric.Examples.AddRange(m.Examples);
            metric.Synonyms.AddRange(m.Synonyms);
            catalog.Metrics.Add(metric);
        }
        foreach (var d in model.Dimensions.DistinctBy(d => (d.Dimension, d.Column)))
        {
            var dimension = new CatalogDimension { Name = d.Column, Label = d.Label, TenantNames = d.TenantNames, Time = d.IsTime };
            dimension.Entities.AddRange(d.IsTime ? model.Entities.Select(e => ToProto(e.Kind)) : d.Bindings.Keys.Select(ToProto));
            dimension.Values.AddRange(d.Bindings.Values.SelectMany(b => b.Values.Select(v => v.Value)).Distinct());
            catalog.Dimensions.Add(dimension);
        }
        foreach (var e in model.Entities)
        {
            foreach (var p in e.Predicates.Where(p => p.Synonyms.Count > 0))
            {
                var condition = new CatalogCondition { Name = p.Name, Entity = ToProto(e.Kind), Label = p.Label, Sql = p.Sql };
                condition.Words.AddRange(p.Synonyms);
                catalog.Conditions.Add(condition);
            }
            foreach (var a in e.Attributes.Where(a => a.Type == AttributeType.Number && a.Synonyms.Count > 0))
            {
                var attribute = new CatalogAttribute { Name = a.Name, Entity = ToProto(e.Kind), Label = a.Label, Unit = a.Unit };
                attribute.Words.AddRange(a.Synonyms);
                catalog.Attributes.Add(attribute);
            }
        }
        foreach (var l in model.Listings)
        {
            var listing = new CatalogListing { Name = l.Name, Label = l.Label, Ascending = l.Order == SortOrder.Ascending };
            listing.Entities.AddRange(l.Attributes.Keys.Select(ToProto));
            catalog.Listings.Add(listing);
        }
        return catalog;
    }

    public static Entity ToProto(EntityKind e) => e switch
    {
        EntityKind.Issue => Entity.Issue,
        EntityKind.Epic => Entity.Epic,
        EntityKind.PullRequest => Entity.PullRequest,
        EntityKind.Deployment => Entity.Deployment,
        EntityKind.Incident => Entity.Incident,
        _ => Entity.Unspecified,
    };

    public static Protos.Agent.V1.Aggregation ToProto(Aggregation a) => a switch
    {
        Aggregation.Count => Protos.Agent.V1.Aggregation.Count,
        Aggregation.Sum => Protos.Agent.V1.Aggregation.Sum,
        Aggregation.Avg => Protos.Agent.V1.Aggregation.Avg,
        Aggregation.Median => Protos.Agent.V1.Aggregation.Median,
        Aggregation.P90 => Protos.Agent.V1.Aggregation.P90,
        Aggregation.Min => Protos.Agent.V1.Aggregation.Min,
        Aggregation.Max => Protos.Agent.V1.Aggregation.Max,
        Aggregation.Share => Protos.Agent.V1.Aggregation.Share,
        Aggregation.RatePerDay => Protos.Agent.V1.Aggregation.RatePerDay,
        Aggregation.Value => Protos.Agent.V1.Aggregation.Value,
        Aggregation.Custom => Protos.Agent.V1.Aggregation.Custom,
        Aggregation.Ratio => Protos.Agent.V1.Aggregation.Ratio,
        _ => Protos.Agent.V1.Aggregation.Unspecified,
    };
}
