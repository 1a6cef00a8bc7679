using System.Runtime.CompilerServices;

// The data tests check plans (row counts of Medium and Large) without loading them.
[assembly: InternalsVisibleTo("StrategicAgent.Data.Tests")]
