namespace AdherencePipeline.Recordings;

/// <summary>Names of the sources the readers know; a recording's <see cref="Recording.Source"/> is one of these or a device name.</summary>
public static class RecordingSources
{
    /// <summary>UCI "Daily and Sports Activities", torso unit: m/s², 25 Hz, 19 labelled activities.</summary>
    public const string DailySportsTorso = "daily-sports-torso";

    /// <summary>UCI "Activity Recognition from Single Chest-Mounted Accelerometer": uncalibrated 12-bit counts, 52 Hz, 7 labels.</summary>
    public const string ChestAccelCasale = "chest-accel-casale";

    /// <summary>Hexoskin smart shirt (HAR-Lab HumanActivityData): counts at 64 Hz, heart rate 1 Hz, RR intervals.</summary>
    public const string ChestHrHexoskin = "chest-hr-hexoskin";
}
