<#
PodShell.Pester: Pester 6-style assertions for infrastructure tests of containers.

    Import-Module (Join-Path (Get-Module PodShell).ModuleBase 'PodShell.Pester.psm1')
    Get-Container web | Should-BeRunning
    Get-Container web | Should-HaveMemoryLimit 128MB

Each function takes a Container (or a container name) from the pipeline and, on failure, throws the same
kind of error record Pester's own Should-* assertions throw, naming the container, the expected and the
actual value. Only Should-BeRunning and Should-HaveMemoryLimit are also registered as `Should -Operator`
operators (Pester allows 32 operators in all and uses 26 itself).
#>

function Resolve-AssertedContainer {
    param($Actual)
    # Pipeline input arrives wrapped in a PSObject; .BaseObject would look for a property of that name.
    $o = if ($Actual -is [System.Management.Automation.PSObject]) { $Actual.psobject.BaseObject } else { $Actual }
    if ($o -is [PodShell.Container]) { return Get-Container -Id $o.Id -ErrorAction Stop }
    if ($o -is [string]) { return Get-Container -Name $o -ErrorAction Stop }
    throw [System.ArgumentException]::new("Expected a PodShell.Container or a container name, but got '$Actual'.")
}

function Invoke-AssertionFailure {
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Message, [string] $Because, $Invocation)
    if ($Because) { $Message = $Message -replace '^Expected', "Expected, because $Because," }
    $record = if ('Pester.Factory' -as [type]) {
        [Pester.Factory]::CreateShouldErrorRecord($Message, $Invocation.ScriptName, $Invocation.ScriptLineNumber, $Invocation.Line.TrimEnd(), $true)
    }
    else {
        [System.Management.Automation.ErrorRecord]::new([Exception]::new($Message), 'PesterAssertionFailed', 'InvalidResult', $null)
    }
    $Cmdlet.ThrowTerminatingError($record)
}

# A running container is judged by the kernel's figure, a stopped one by its configuration.
function Get-AssertedLimit($Container, [string] $Property) {
    if ($Container.State -eq 'Running') { (Get-ContainerCgroup -Id $Container.Id -ErrorAction Stop).$Property } else { $Container.$Property }
}

function Format-Limit($Value) {
    if ($Value -is [long] -and $Value -eq [long]::MaxValue) { return 'max (no limit)' }
    if ($Value -is [double] -and [double]::IsPositiveInfinity($Value)) { return 'max (no limit)' }
    "$Value"
}

function Should-BeRunning {
    [CmdletBinding()]
    param([Parameter(Position = 0, ValueFromPipeline)] $Actual, [string] $Because)
    process {
        $c = Resolve-AssertedContainer $Actual
        if ($c.State -ne 'Running') {
            Invoke-AssertionFailure $PSCmdlet "Expected container '$($c.Name)' to be Running, but it was $($c.State)." $Because $MyInvocation
        }
    }
}

function Should-HaveMemoryLimit {
    [CmdletBinding()]
    param([Parameter(Position = 0, Mandatory)] [long] $Expected, [Parameter(Position = 1, ValueFromPipeline)] $Actual, [string] $Because)
    process {
        $c = Resolve-AssertedContainer $Actual
        $value = Get-AssertedLimit $c MemoryMax
        if ($value -ne $Expected) {
            Invoke-AssertionFailure $PSCmdlet "Expected container '$($c.Name)' to have memory limit $Expected, but it was $(Format-Limit $value)." $Because $MyInvocation
        }
    }
}

function Should-HaveCpuLimit {
    [CmdletBinding()]
    param([Parameter(Position = 0, Mandatory)] [double] $Expected, [Parameter(Position = 1, ValueFromPipeline)] $Actual, [string] $Because)
    process {
        $c = Resolve-AssertedContainer $Actual
        $value = Get-AssertedLimit $c Cpus
        if ([math]::Abs($value - $Expected) -gt 0.001) {
            Invoke-AssertionFailure $PSCmdlet "Expected container '$($c.Name)' to have CPU limit $Expected, but it was $(Format-Limit $value)." $Because $MyInvocation
        }
    }
}

function Should-HavePidsLimit {
    [CmdletBinding()]
    param([Parameter(Position = 0, Mandatory)] [long] $Expected, [Parameter(Position = 1, ValueFromPipeline)] $Actual, [string] $Because)
    process {
        $c = Resolve-AssertedContainer $Actual
        $value = Get-AssertedLimit $c PidsMax
        if ($value -ne $Expected) {
            Invoke-AssertionFailure $PSCmdlet "Expected container '$($c.Name)' to have pids limit $Expected, but it was $(Format-Limit $value)." $Because $MyInvocation
        }
    }
}

function Should-HaveOwnNamespace {
    [CmdletBinding()]
    param([Parameter(Position = 0, Mandatory)] [ValidateSet('mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup', 'user', 'time')] [string] $Type,
        [Parameter(Position = 1, ValueFromPipeline)] $Actual, [string] $Because)
    process {
        $c = Resolve-AssertedContainer $Actual
        $ns = Get-ContainerNamespace -Id $c.Id -Type $Type -ErrorAction Stop
        if ($ns.SharedWithHost) {
            Invoke-AssertionFailure $PSCmdlet "Expected container '$($c.Name)' to have its own $Type namespace, but it shares the host's ($($ns.Inode))." $Because $MyInvocation
        }
    }
}

function Should-ShareNamespaceWithHost {
    [CmdletBinding()]
    param([Parameter(Position = 0, Mandatory)] [ValidateSet('mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup', 'user', 'time')] [string] $Type,
        [Parameter(Position = 1, ValueFromPipeline)] $Actual, [string] $Because)
    process {
        $c = Resolve-AssertedContainer $Actual
        $ns = Get-ContainerNamespace -Id $c.Id -Type $Type -ErrorAction Stop
        if (-not $ns.SharedWithHost) {
            Invoke-AssertionFailure $PSCmdlet "Expected container '$($c.Name)' to share the host's $Type namespace ($($ns.HostInode)), but it has its own ($($ns.Inode))." $Because $MyInvocation
        }
    }
}

function Should-HaveExitCode {
    [CmdletBinding()]
    param([Parameter(Position = 0, Mandatory)] [int] $Expected, [Parameter(Position = 1, ValueFromPipeline)] $Actual, [string] $Because)
    process {
        $c = Resolve-AssertedContainer $Actual
        if ($c.State -ne 'Exited' -or $c.ExitCode -ne $Expected) {
            $actualText = if ($c.State -ne 'Exited') { "still $($c.State)" } else { "$($c.ExitCode)" }
            Invoke-AssertionFailure $PSCmdlet "Expected container '$($c.Name)' to have exited with code $Expected, but it was $actualText." $Because $MyInvocation
        }
    }
}

# Two classic `Should -Operator` forms, only where Pester is loaded and has room (32 operators at most).
if (Get-Command Add-ShouldOperator -ErrorAction Ignore) {
    $operators = @{
        BeRunning       = {
            param($ActualValue, [switch] $Negate, [string] $Because, $CallerSessionState)
            $c = Resolve-AssertedContainer $ActualValue
            $ok = ($c.State -eq 'Running') -xor [bool]$Negate
            [pscustomobject]@{ Succeeded = $ok; FailureMessage = if (-not $ok) { "Expected container '$($c.Name)' $(if ($Negate) { 'not ' })to be Running, but it was $($c.State)." } }
        }
        HaveMemoryLimit = {
            param($ActualValue, $ExpectedValue, [switch] $Negate, [string] $Because, $CallerSessionState)
            $c = Resolve-AssertedContainer $ActualValue
            $value = Get-AssertedLimit $c MemoryMax
            $ok = ($value -eq [long]$ExpectedValue) -xor [bool]$Negate
            [pscustomobject]@{ Succeeded = $ok; FailureMessage = if (-not $ok) { "Expected container '$($c.Name)' $(if ($Negate) { 'not ' })to have memory limit $([long]$ExpectedValue), but it was $(Format-Limit $value)." } }
        }
    }
    foreach ($name in $operators.Keys) {
        try { Add-ShouldOperator -Name $name -Test $operators[$name] -InternalName "PodShell$name" -ErrorAction Stop }
        catch { if ($_.Exception.Message -notmatch 'already') { Write-Warning "PodShell.Pester: Should -$name not registered: $($_.Exception.Message)" } }
    }
}

Export-ModuleMember -Function Should-BeRunning, Should-HaveMemoryLimit, Should-HaveCpuLimit, Should-HavePidsLimit,
    Should-HaveOwnNamespace, Should-ShareNamespaceWithHost, Should-HaveExitCode
