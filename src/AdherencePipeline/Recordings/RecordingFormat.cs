namespace AdherencePipeline.Recordings;

/// <summary>The recording formats <see cref="RecordingReader"/> can read.</summary>
public enum RecordingFormat
{
    /// <summary>The project's own CSV format (<see cref="RecordingCsv"/>).</summary>
    AdherenceCsv,

    /// <summary><c>daily-sports-torso/subjectN.csv.gz</c> (<see cref="DailySportsTorsoReader"/>).</summary>
    DailySportsTorso,

    /// <summary><c>chest-accel-casale/participantNN.csv.gz</c> (<see cref="ChestAccelCasaleReader"/>).</summary>
    ChestAccelCasale,

    /// <summary><c>chest-hr-hexoskin/subjectNNN-{acc,hr,rr}.csv.gz</c> (<see cref="ChestHrHexoskinReader"/>).</summary>
    ChestHrHexoskin,
}
