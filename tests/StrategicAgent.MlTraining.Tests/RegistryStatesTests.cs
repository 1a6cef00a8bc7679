using StrategicAgent.Ml.Registry;
using StrategicAgent.Protos;
using Proto = StrategicAgent.Protos.Training.V1;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The registry's closed sets: the domain's enums carry the training contract's numbers (the gRPC service maps them by
/// value) and their stored text is the contract's wire name (what the gateway's JSON shows), both ways, for every value;
/// text the ml schema's CHECK constraints would not allow is a corrupt row, not a silent default.
/// </summary>
public sealed class RegistryStatesTests
{
    private static void SameAsContract<TDomain, TProto>(Func<TDomain, string> toText, Func<string, TDomain> parse)
        where TDomain : struct, Enum where TProto : struct, Enum
    {
        var domain = Enum.GetValues<TDomain>().Select(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).Where(i => i != 0).Order().ToList();
        var contract = Enum.GetValues<TProto>().Select(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).Where(i => i != 0).Order().ToList();
        Assert.Equal(contract, domain);
        foreach (var v in Enum.GetValues<TDomain>().Where(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) != 0))
        {
            var asContract = (TProto)Enum.ToObject(typeof(TProto), v);
            Assert.Equal(asContract.ToWire(), toText(v));
            Assert.Equal(v, parse(toText(v)));
        }
    }

    [Fact]
    public void Every_value_has_the_contracts_number_and_wire_name_both_ways()
    {
        SameAsContract<VersionStatus, Proto.ModelVersionStatus>(s => s.ToText(), RegistryText.VersionStatusOf);
        SameAsContract<RunStatus, Proto.TrainingRunStatus>(s => s.ToText(), RegistryText.RunStatusOf);
        SameAsContract<RunStage, Proto.TrainStage>(s => s.ToText(), RegistryText.RunStageOf);
        SameAsContract<DeployStrategy, Proto.DeployStrategy>(s => s.ToText(), t => RegistryText.DeployStrategyOf(t)!.Value);
        Assert.True(RegistryText.TryParse(" Most_Recent ", out var strategy));
        Assert.Equal(DeployStrategy.MostRecent, strategy);
        Assert.False(RegistryText.TryParse("best-score", out _));
    }

    [Fact]
    public void Text_the_schema_does_not_allow_is_a_corrupt_row()
    {
        Assert.Contains("'shipped' is not one of trained, deployed, retired, failed", Assert.Throws<InvalidDataException>(() => RegistryText.VersionStatusOf("shipped")).Message);
        Assert.Throws<InvalidDataException>(() => RegistryText.RunStatusOf("Succeeded"));
        Assert.Throws<InvalidDataException>(() => RegistryText.RunStageOf("compiling"));
        Assert.Equal(RunStage.Unspecified, RegistryText.RunStageOf(null));
        Assert.Null(RegistryText.DeployStrategyOf(""));
        // A candidate (trained in memory) has no stored status.
        Assert.Throws<ArgumentOutOfRangeException>(() => VersionStatus.Candidate.ToText());
    }
}
