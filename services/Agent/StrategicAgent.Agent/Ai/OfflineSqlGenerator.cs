using Microsoft.Extensions.Options;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// The embedded default: compiles the planner's plan over the metric catalog to parameterised SQL.
/// No network, deterministic; questions without a plan are refused before it is called.
/// </summary>
public sealed class OfflineSqlGenerator(IOptions<AgentOptions> options) : ISqlGenerator
{
    public string Name => "offline";

    public bool IsDeterministic => true;

    public bool RequiresPlan => true;

    public Task<GeneratedQuery> GenerateAsync(GenerationRequest request, CancellationToken ct)
    {
        if (request.Plan is null)
        {
            throw new GenerationException("no_plan", "the offline planner needs a catalogued metric", retryable: false);
        }
        var compiled = options.Value.Rollups
            ? RollupCompiler.Compile(request.Plan, request.ClientId, options.Value.RowCap)
            : SqlCompiler.Compile(request.Plan, request.ClientId, options.Value.RowCap);
        return Task.FromResult(new GeneratedQuery(compiled.Sql, compiled.Parameters, compiled.RenderLiteral(), "offline planner"));
    }
}
