#requires -Version 7.4
<#
.SYNOPSIS
    Builds PodShell's MAML help (PodShell.dll-Help.xml) and about_PodShell.help.txt from docs/*.md and the
    cmdlet metadata.

.DESCRIPTION
    platyPS is not available to this build, so this script does its job: prose (synopsis, description,
    examples, parameter text, inputs, outputs, notes, links) comes from one page per cmdlet,
    docs/<Verb-Noun>.md (format in docs/README.md). Syntax, parameter attributes, types and pipeline
    behaviour come from the loaded cmdlets themselves, so the help cannot drift from the code.

    The module is imported into this process; run the script in its own pwsh process
    (`dotnet pwsh -NoProfile -NonInteractive -File ...`) so no stale copy of the module is used.

    Warns for every exported cmdlet without a page and every parameter without a description.
    Exits with code 1 when an exported cmdlet has no page, so a build that calls it fails.

.EXAMPLE
    dotnet pwsh -NoProfile -NonInteractive -File build/New-MamlHelp.ps1 -ModulePath module/PodShell -DocsPath docs
#>
[CmdletBinding()]
param(
    # Directory holding PodShell.psd1 (the published module).
    [Parameter(Mandatory)]
    [string] $ModulePath,

    # Directory holding <Verb-Noun>.md pages and about_PodShell.md.
    [string] $DocsPath = (Join-Path $PSScriptRoot '../docs'),

    # Where the help files go; Get-Help looks in <ModuleBase>/<culture>.
    [string] $OutputPath
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    msh     = 'http://msh'
}

# platyPS's stock wording, so our help reads like the rest of PowerShell's.
$defaultParameterText = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

# Everything in [Cmdlet]::CommonParameters is described by about_CommonParameters; WhatIf and Confirm
# stay because they change what the cmdlet does (platyPS keeps them too).
$commonParameters = [System.Collections.Generic.HashSet[string]]::new(
    [string[]]@([System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'),
    [System.StringComparer]::OrdinalIgnoreCase)

#region Markdown

$fenceRegex = '^\s*(```+|~~~+)\s*([\w+-]*)'
# Up to 3 digits, so a wrapped line that starts with a number ("134217728) ...") stays prose.
$listItemRegex = '^\s*([-*+]|\d{1,3}[.)])\s+'

# Turns section body lines into blocks: Kind 'text' (one paragraph, lines joined by spaces; a list item
# is its own paragraph) or Kind 'code' (a fenced block, line breaks kept).
function ConvertTo-Block {
    param([AllowEmptyCollection()][string[]] $Lines)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $current = $null
    $fence = $null
    $code = $null
    # Dot-sourced, so it updates this function's $current.
    $flush = {
        if ($null -ne $current -and $current.Count -gt 0) {
            $isTable = $current[0].StartsWith('|')
            $blocks.Add([pscustomobject]@{ Kind = $(if ($isTable) { 'table' } else { 'text' }); Language = ''; Text = ($current -join $(if ($isTable) { "`n" } else { ' ' })) })
        }
        $current = $null
    }
    foreach ($line in $Lines) {
        if ($null -ne $fence) {
            if ($line.TrimStart().StartsWith($fence)) {
                # Trailing blank lines inside a fence are layout, not code.
                $blocks.Add([pscustomobject]@{ Kind = 'code'; Language = $codeLanguage; Text = ($code -join "`n").TrimEnd() })
                $fence = $null
            }
            else { $code.Add($line) }
            continue
        }
        if ($line -match $fenceRegex) {
            . $flush
            $fence = $Matches[1]
            $codeLanguage = $Matches[2]
            $code = [System.Collections.Generic.List[string]]::new()
            continue
        }
        if ([string]::IsNullOrWhiteSpace($line)) { . $flush; continue }
        # A list item is its own paragraph; a table row block never merges with prose.
        if ($line -match $listItemRegex -or ($null -ne $current -and $current[0].StartsWith('|') -ne $line.TrimStart().StartsWith('|'))) { . $flush }
        if ($null -eq $current) { $current = [System.Collections.Generic.List[string]]::new() }
        $current.Add($line.Trim())
    }
    if ($null -ne $fence) {
        $blocks.Add([pscustomobject]@{ Kind = 'code'; Language = $codeLanguage; Text = ($code -join "`n").TrimEnd() })
    }
    . $flush
    , $blocks.ToArray()
}

function Get-Paragraph {
    param([AllowEmptyCollection()][string[]] $Lines)
    , @((ConvertTo-Block $Lines) | ForEach-Object Text | Where-Object { $_ })
}

# Splits lines at headings of the given level, ignoring '#' lines inside fenced blocks.
# Returns the lines before the first heading as Title '' and one entry per heading.
function Split-Heading {
    param([AllowEmptyCollection()][string[]] $Lines, [int] $Level)
    $prefix = ('#' * $Level) + ' '
    $sections = [System.Collections.Generic.List[object]]::new()
    $cur = [pscustomobject]@{ Title = ''; Lines = [System.Collections.Generic.List[string]]::new() }
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match $fenceRegex) { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($prefix)) {
            $sections.Add($cur)
            $cur = [pscustomobject]@{ Title = $line.Substring($prefix.Length).Trim(); Lines = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        $cur.Lines.Add($line)
    }
    $sections.Add($cur)
    , $sections.ToArray()
}

function Split-FrontMatter {
    param([string[]] $Lines)
    $front = [ordered]@{}
    if ($Lines.Count -gt 0 -and $Lines[0].Trim() -eq '---') {
        $end = [array]::FindIndex($Lines, 1, [Predicate[string]] { param($l) $l.Trim() -eq '---' })
        if ($end -gt 0) {
            foreach ($l in $Lines[1..($end - 1)]) {
                if ($l -match '^\s*([^:]+):\s*(.*)$') { $front[$Matches[1].Trim()] = $Matches[2].Trim() }
            }
            $rest = if ($end + 1 -lt $Lines.Count) { $Lines[($end + 1)..($Lines.Count - 1)] } else { @() }
            return [pscustomobject]@{ Front = $front; Lines = [string[]]$rest }
        }
    }
    [pscustomobject]@{ Front = $front; Lines = $Lines }
}

function Read-TypeSection {
    param([AllowEmptyCollection()][string[]] $Lines)
    foreach ($s in (Split-Heading $Lines 3)) {
        if (-not $s.Title) { continue }
        [pscustomobject]@{ Type = $s.Title; Paragraphs = (Get-Paragraph $s.Lines) }
    }
}

function Read-CmdletPage {
    param([string] $Path)
    $all = [string[]](Get-Content -LiteralPath $Path -Encoding utf8)
    if ($null -eq $all) { $all = @() }
    $fm = Split-FrontMatter $all
    $page = [pscustomobject]@{
        Path        = $Path
        Front       = $fm.Front
        Title       = $null
        Synopsis    = @()
        Description = @()
        Examples    = [System.Collections.Generic.List[object]]::new()
        Parameters  = [ordered]@{}
        Inputs      = @()
        Outputs     = @()
        Notes       = @()
        Links       = [System.Collections.Generic.List[object]]::new()
    }
    foreach ($h1 in (Split-Heading $fm.Lines 1)) { if ($h1.Title) { $page.Title = $h1.Title; break } }
    foreach ($section in (Split-Heading $fm.Lines 2)) {
        switch ($section.Title.ToUpperInvariant()) {
            'SYNOPSIS' { $page.Synopsis = Get-Paragraph $section.Lines }
            'DESCRIPTION' { $page.Description = Get-Paragraph $section.Lines }
            'EXAMPLES' {
                foreach ($ex in (Split-Heading $section.Lines 3)) {
                    if (-not $ex.Title) { continue }
                    $blocks = ConvertTo-Block $ex.Lines
                    # The first fenced block is what the user types; everything else (prose, sample
                    # output in further fences) explains it.
                    $codeBlock = $blocks | Where-Object Kind -EQ 'code' | Select-Object -First 1
                    $page.Examples.Add([pscustomobject]@{
                            Title   = $ex.Title
                            Code    = if ($codeBlock) { $codeBlock.Text } else { '' }
                            Remarks = @($blocks | Where-Object { $_ -ne $codeBlock } | ForEach-Object Text | Where-Object { $_ })
                        })
                }
            }
            'PARAMETERS' {
                foreach ($p in (Split-Heading $section.Lines 3)) {
                    if (-not $p.Title) { continue }
                    if ($p.Title -eq 'CommonParameters') { continue }
                    $name = $p.Title.TrimStart('-').Trim()
                    # A platyPS ```yaml attribute block is ignored: attributes come from the metadata.
                    $page.Parameters[$name] = @((ConvertTo-Block $p.Lines) | Where-Object { -not ($_.Kind -eq 'code' -and $_.Language -eq 'yaml') } | ForEach-Object Text | Where-Object { $_ })
                }
            }
            'INPUTS' { $page.Inputs = @(Read-TypeSection $section.Lines) }
            'OUTPUTS' { $page.Outputs = @(Read-TypeSection $section.Lines) }
            'NOTES' { $page.Notes = Get-Paragraph $section.Lines }
            'RELATED LINKS' {
                foreach ($line in $section.Lines) {
                    foreach ($m in [regex]::Matches($line, '\[([^\]]+)\]\(([^)]*)\)')) {
                        $page.Links.Add([pscustomobject]@{ Text = $m.Groups[1].Value.Trim(); Uri = $m.Groups[2].Value.Trim() })
                    }
                }
            }
        }
    }
    $page
}

#endregion

#region Metadata

function Get-ElementType {
    param([type] $Type)
    if ($Type.IsArray) { $Type = $Type.GetElementType() }
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $underlying } else { $Type }
}

# Short name for the <Type> shown next to a parameter: String[], Int64, SwitchParameter.
function Get-TypeDisplayName {
    param([type] $Type)
    if ($Type.IsArray) { return (Get-TypeDisplayName $Type.GetElementType()) + '[]' }
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { return Get-TypeDisplayName $underlying }
    if ($Type.IsGenericType) {
        $typeArgs = ($Type.GetGenericArguments() | ForEach-Object { Get-TypeDisplayName $_ }) -join ', '
        return $Type.Name.Split('`')[0] + "[$typeArgs]"
    }
    $Type.Name
}

function Get-TypeFullName {
    param([type] $Type)
    if ($Type.IsArray) { return (Get-TypeFullName $Type.GetElementType()) + '[]' }
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { return Get-TypeFullName $underlying }
    if ($Type.IsGenericType) {
        $typeArgs = ($Type.GetGenericArguments() | ForEach-Object { Get-TypeFullName $_ }) -join ', '
        return $Type.GetGenericTypeDefinition().FullName.Split('`')[0] + "[$typeArgs]"
    }
    $Type.FullName
}

function Get-PipelineText {
    param([bool] $ByValue, [bool] $ByPropertyName)
    $kinds = @(if ($ByValue) { 'ByValue' }; if ($ByPropertyName) { 'ByPropertyName' })
    if ($kinds.Count) { "True ($($kinds -join ', '))" } else { 'False' }
}

# Values Get-Help shows as {a | b} in the syntax: enum names or a ValidateSet.
function Get-AllowedValue {
    param($Parameter)
    $validateSet = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($validateSet) { return , @($validateSet.ValidValues) }
    $t = Get-ElementType $Parameter.ParameterType
    if ($t.IsEnum) { return , @([enum]::GetNames($t)) }
    , @()
}

function Test-Wildcard {
    param($Parameter)
    [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
}

# One record per documented parameter, merged over all parameter sets for the PARAMETERS section:
# required when mandatory in any set (the per-set truth is in the syntax), the first explicit position,
# and every way it binds from the pipeline.
function Get-ParameterSummary {
    param([System.Management.Automation.CommandInfo] $Command)
    foreach ($p in $Command.Parameters.Values) {
        if ($commonParameters.Contains($p.Name)) { continue }
        $sets = @($p.ParameterSets.Values)
        $positions = @($sets | Where-Object { $_.Position -ge 0 } | ForEach-Object Position)
        [pscustomobject]@{
            Name           = $p.Name
            Type           = $p.ParameterType
            IsSwitch       = $p.SwitchParameter
            Required       = [bool]($sets | Where-Object IsMandatory)
            Position       = if ($positions.Count) { [string]$positions[0] } else { 'named' }
            ByValue        = [bool]($sets | Where-Object ValueFromPipeline)
            ByPropertyName = [bool]($sets | Where-Object ValueFromPipelineByPropertyName)
            Globbing       = Test-Wildcard $p
            Aliases        = @($p.Aliases)
            AllowedValues  = Get-AllowedValue $p
        }
    }
}

# Matches "PodShell.Container", "Container" and "PodShell.Container[]" against each other.
function Test-SameTypeName {
    param([string] $A, [string] $B)
    $na = $A.Trim().TrimEnd(']').TrimEnd('[').ToLowerInvariant()
    $nb = $B.Trim().TrimEnd(']').TrimEnd('[').ToLowerInvariant()
    if ($na -eq $nb) { return $true }
    ($na.Split('.')[-1] -eq $nb.Split('.')[-1]) -and (-not $na.Contains('.') -or -not $nb.Contains('.'))
}

# Page entries first (they carry the prose), then metadata types the page does not mention.
function Merge-TypeList {
    param([object[]] $PageEntries, [string[]] $MetadataTypes)
    $result = [System.Collections.Generic.List[object]]::new()
    foreach ($e in $PageEntries) { $result.Add($e) }
    foreach ($t in $MetadataTypes) {
        if (-not ($result | Where-Object { Test-SameTypeName $_.Type $t })) {
            $result.Add([pscustomobject]@{ Type = $t; Paragraphs = @() })
        }
    }
    , $result.ToArray()
}

#endregion

#region MAML

function Write-Paragraphs {
    param([System.Xml.XmlWriter] $W, [string] $Element, [string[]] $Paragraphs)
    $W.WriteStartElement('maml', $Element, $ns.maml)
    foreach ($p in $Paragraphs) { $W.WriteElementString('maml', 'para', $ns.maml, $p) }
    if (-not $Paragraphs) { $W.WriteElementString('maml', 'para', $ns.maml, '') }
    $W.WriteEndElement()
}

function Write-DevType {
    param([System.Xml.XmlWriter] $W, [string] $TypeName)
    $W.WriteStartElement('dev', 'type', $ns.dev)
    $W.WriteElementString('maml', 'name', $ns.maml, $TypeName)
    $W.WriteElementString('maml', 'uri', $ns.maml, '')
    $W.WriteEndElement()
}

# $InSyntax: platyPS shape. In a syntax item a switch has no parameterValue (so Get-Help prints
# [-Force], not [-Force <SwitchParameter>]) and enums/ValidateSet get a parameterValueGroup
# (printed as {a | b}). In the PARAMETERS section every parameter has its parameterValue.
function Write-Parameter {
    param([System.Xml.XmlWriter] $W, $Info, [string] $Required, [string] $Position, [string] $Pipeline,
        [string[]] $Description, [bool] $InSyntax)
    $W.WriteStartElement('command', 'parameter', $ns.command)
    $W.WriteAttributeString('required', $Required)
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $Info.Globbing.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $Pipeline)
    $W.WriteAttributeString('position', $Position)
    $W.WriteAttributeString('aliases', $(if ($Info.Aliases.Count) { $Info.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $ns.maml, $Info.Name)
    Write-Paragraphs $W 'description' $Description
    if ($InSyntax -and $Info.AllowedValues.Count) {
        $W.WriteStartElement('command', 'parameterValueGroup', $ns.command)
        foreach ($v in $Info.AllowedValues) {
            $W.WriteStartElement('command', 'parameterValue', $ns.command)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $ns.command, 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    elseif (-not ($InSyntax -and $Info.IsSwitch)) {
        $W.WriteStartElement('command', 'parameterValue', $ns.command)
        $W.WriteAttributeString('required', $(if ($Info.IsSwitch) { 'false' } else { 'true' }))
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString((Get-TypeDisplayName $Info.Type))
        $W.WriteEndElement()
    }
    Write-DevType $W (Get-TypeFullName $Info.Type)
    $W.WriteElementString('dev', 'defaultValue', $ns.dev, $(if ($Info.IsSwitch) { 'False' } else { 'None' }))
    $W.WriteEndElement()
}

function Write-Command {
    param([System.Xml.XmlWriter] $W, [System.Management.Automation.CmdletInfo] $Command, $Page)
    $summaries = @(Get-ParameterSummary $Command)
    $descriptionOf = @{}
    foreach ($s in $summaries) {
        $text = if ($Page.Parameters.Contains($s.Name)) { @($Page.Parameters[$s.Name]) } else { @() }
        if (-not $text -and $defaultParameterText.ContainsKey($s.Name)) { $text = @($defaultParameterText[$s.Name]) }
        if (-not $text) { Write-Warning "$($Command.Name): parameter -$($s.Name) has no description in $($Page.Path)." }
        $descriptionOf[$s.Name] = $text
    }
    foreach ($documented in $Page.Parameters.Keys) {
        if (-not ($summaries | Where-Object Name -EQ $documented)) {
            Write-Warning "$($Command.Name): $($Page.Path) documents -$documented, which the cmdlet does not have."
        }
    }

    $W.WriteStartElement('command', 'command', $ns.command)

    $W.WriteStartElement('command', 'details', $ns.command)
    $W.WriteElementString('command', 'name', $ns.command, $Command.Name)
    $W.WriteElementString('command', 'verb', $ns.command, $Command.Verb)
    $W.WriteElementString('command', 'noun', $ns.command, $Command.Noun)
    Write-Paragraphs $W 'description' $Page.Synopsis
    $W.WriteEndElement()

    Write-Paragraphs $W 'description' $Page.Description

    $W.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $Command.ParameterSets) {
        $W.WriteStartElement('command', 'syntaxItem', $ns.command)
        $W.WriteElementString('maml', 'name', $ns.maml, $Command.Name)
        # Get-Help prints the syntax in this order: positional by position, then the rest as declared.
        $ordered = $set.Parameters | Where-Object { -not $commonParameters.Contains($_.Name) } |
            Sort-Object -Stable { if ($_.Position -ge 0) { $_.Position } else { [int]::MaxValue } }
        foreach ($p in $ordered) {
            $info = $summaries | Where-Object Name -EQ $p.Name
            Write-Parameter $W $info `
                -Required $p.IsMandatory.ToString().ToLowerInvariant() `
                -Position $(if ($p.Position -ge 0) { [string]$p.Position } else { 'named' }) `
                -Pipeline (Get-PipelineText $p.ValueFromPipeline $p.ValueFromPipelineByPropertyName) `
                -Description $descriptionOf[$p.Name] -InSyntax $true
        }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($s in $summaries) {
        Write-Parameter $W $s -Required $s.Required.ToString().ToLowerInvariant() -Position $s.Position `
            -Pipeline (Get-PipelineText $s.ByValue $s.ByPropertyName) -Description $descriptionOf[$s.Name] -InSyntax $false
    }
    $W.WriteEndElement()

    $pipelineTypes = @($Command.Parameters.Values | Where-Object { -not $commonParameters.Contains($_.Name) } |
            Where-Object { $_.ParameterSets.Values | Where-Object ValueFromPipeline } |
            ForEach-Object { Get-TypeFullName (Get-ElementType $_.ParameterType) } | Select-Object -Unique)
    $W.WriteStartElement('command', 'inputTypes', $ns.command)
    foreach ($t in (Merge-TypeList $Page.Inputs $pipelineTypes)) {
        $W.WriteStartElement('command', 'inputType', $ns.command)
        Write-DevType $W $t.Type
        Write-Paragraphs $W 'description' $t.Paragraphs
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $outputTypes = @($Command.OutputType | ForEach-Object Name | Select-Object -Unique)
    $W.WriteStartElement('command', 'returnValues', $ns.command)
    foreach ($t in (Merge-TypeList $Page.Outputs $outputTypes)) {
        $W.WriteStartElement('command', 'returnValue', $ns.command)
        Write-DevType $W $t.Type
        Write-Paragraphs $W 'description' $t.Paragraphs
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    if ($Page.Notes) {
        $W.WriteStartElement('maml', 'alertSet', $ns.maml)
        Write-Paragraphs $W 'alert' $Page.Notes
        $W.WriteEndElement()
    }

    $W.WriteStartElement('command', 'examples', $ns.command)
    foreach ($ex in $Page.Examples) {
        $W.WriteStartElement('command', 'example', $ns.command)
        $W.WriteElementString('maml', 'title', $ns.maml, "--------- $($ex.Title) ---------")
        $W.WriteElementString('dev', 'code', $ns.dev, $ex.Code)
        $W.WriteStartElement('dev', 'remarks', $ns.dev)
        foreach ($r in $ex.Remarks) { $W.WriteElementString('maml', 'para', $ns.maml, $r) }
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    # The first link is the page itself online: Get-Help -Online opens the first absolute http(s) link of the
    # MAML. Links to sibling pages become absolute too, so RELATED LINKS never shows a bare .md file name.
    $W.WriteStartElement('command', 'relatedLinks', $ns.command)
    $links = @([pscustomobject]@{ Text = 'Online Version:'; Uri = (Resolve-DocsLink "$($Command.Name).md") }) +
        @($Page.Links | ForEach-Object { [pscustomobject]@{ Text = $_.Text; Uri = (Resolve-DocsLink $_.Uri) } })
    foreach ($l in $links) {
        $W.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $W.WriteElementString('maml', 'linkText', $ns.maml, $l.Text)
        $W.WriteElementString('maml', 'uri', $ns.maml, $l.Uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

#endregion

# A page's link as an absolute URL: a relative link (Get-Container.md, design.md#state) is a file of docs/ in the
# repository, <ProjectUri>/blob/main/docs/<file>; an absolute one stays as it is. ProjectUri comes from the manifest,
# the one place the repository's address is written.
function Resolve-DocsLink {
    param([string] $Uri)
    if (-not $Uri -or $Uri -match '^[a-z][a-z0-9+.-]*:') { return $Uri }
    "$script:DocsBaseUri/$($Uri.TrimStart('./'))"
}

#region About topic

function Format-Wrapped {
    param([string] $Text, [int] $Indent, [int] $HangingIndent = $Indent, [int] $Width = 80)
    $lines = [System.Collections.Generic.List[string]]::new()
    $line = ' ' * $Indent
    $lineHasWord = $false
    foreach ($word in ($Text -split '\s+' | Where-Object { $_ })) {
        if ($lineHasWord -and ($line.Length + 1 + $word.Length) -gt $Width) {
            $lines.Add($line)
            $line = (' ' * $HangingIndent) + $word
        }
        else { $line += $(if ($lineHasWord) { ' ' } else { '' }) + $word }
        $lineHasWord = $true
    }
    if ($lineHasWord) { $lines.Add($line) }
    $lines
}

# The layout of the about_*.help.txt files shipped with PowerShell: TOPIC, SHORT DESCRIPTION,
# LONG DESCRIPTION headings at column 0, subsections at column 2, text at column 4.
function ConvertTo-AboutText {
    param([string] $Path)
    $fm = Split-FrontMatter ([string[]](Get-Content -LiteralPath $Path -Encoding utf8))
    $out = [System.Collections.Generic.List[string]]::new()
    $topic = $null
    foreach ($h1 in (Split-Heading $fm.Lines 1)) { if ($h1.Title) { $topic = $h1.Title; break } }
    if (-not $topic) { $topic = [System.IO.Path]::GetFileNameWithoutExtension($Path) }
    $out.Add('TOPIC'); $out.Add("    $topic"); $out.Add('')

    $emit = {
        param([string[]] $Lines)
        $blocks = ConvertTo-Block $Lines
        for ($i = 0; $i -lt $blocks.Count; $i++) {
            $b = $blocks[$i]
            $isItem = $b.Kind -eq 'text' -and $b.Text -match $listItemRegex
            if ($b.Kind -eq 'code') {
                foreach ($l in ($b.Text -split "`n")) { $out.Add($(if ($l) { '        ' + $l } else { '' })) }
            }
            elseif ($b.Kind -eq 'table') {
                # A table is already laid out; wrapping would break its columns.
                foreach ($l in ($b.Text -split "`n")) { $out.Add('    ' + $l) }
            }
            elseif ($isItem) {
                $null = $b.Text -match $listItemRegex
                $marker = $Matches[0].Trim()
                $body = $b.Text.Substring($Matches[0].Length)
                $first = $true
                foreach ($l in (Format-Wrapped $body -Indent (5 + $marker.Length))) {
                    $out.Add($(if ($first) { "    $marker " + $l.TrimStart() } else { $l }))
                    $first = $false
                }
            }
            else { foreach ($l in (Format-Wrapped $b.Text -Indent 4)) { $out.Add($l) } }
            # Items of one list stay together; everything else is separated by a blank line.
            $nextIsItem = $i + 1 -lt $blocks.Count -and $blocks[$i + 1].Kind -eq 'text' -and $blocks[$i + 1].Text -match $listItemRegex
            if (-not ($isItem -and $nextIsItem)) { $out.Add('') }
        }
    }

    foreach ($h2 in (Split-Heading $fm.Lines 2)) {
        if (-not $h2.Title) { continue }
        $out.Add($h2.Title.ToUpperInvariant())
        $subs = Split-Heading $h2.Lines 3
        foreach ($h3 in $subs) {
            if ($h3.Title) { $out.Add("  $($h3.Title)"); $out.Add('') }
            & $emit $h3.Lines
        }
    }
    while ($out.Count -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }
    ($out -join "`n") + "`n"
}

#endregion

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$DocsPath = (Resolve-Path -LiteralPath $DocsPath).ProviderPath
if (-not $OutputPath) { $OutputPath = Join-Path $ModulePath 'en-US' }
$manifest = Join-Path $ModulePath 'PodShell.psd1'
if (-not (Test-Path -LiteralPath $manifest)) { throw "No PodShell.psd1 in $ModulePath; run the build (dotnet publish) first." }

$module = Import-Module $manifest -Force -PassThru -ErrorAction Stop
$projectUri = [string] $module.PrivateData.PSData.ProjectUri
if ($projectUri -notmatch '^https://') { throw "PodShell.psd1 has no https ProjectUri (PrivateData.PSData.ProjectUri): the online help links are made from it." }
$script:DocsBaseUri = "$($projectUri.TrimEnd('/'))/blob/main/docs"
$cmdlets = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
if (-not $cmdlets) { Write-Warning "Module $($module.Name) exports no cmdlets." }
$null = New-Item -ItemType Directory -Force -Path $OutputPath

$missing = [System.Collections.Generic.List[string]]::new()
$pages = @{}
foreach ($c in $cmdlets) {
    $pagePath = Join-Path $DocsPath "$($c.Name).md"
    if (-not (Test-Path -LiteralPath $pagePath)) {
        Write-Warning "$($c.Name): no help page $pagePath."
        $missing.Add($c.Name)
        continue
    }
    $page = Read-CmdletPage $pagePath
    if ($page.Title -ne $c.Name) { Write-Warning "$($c.Name): $pagePath is titled '# $($page.Title)'." }
    if ($page.Front.Contains('external help file') -and $page.Front['external help file'] -ne $c.HelpFile) {
        Write-Warning "$($c.Name): $pagePath says 'external help file: $($page.Front['external help file'])' but the cmdlet's help file is $($c.HelpFile)."
    }
    if (-not $page.Synopsis) { Write-Warning "$($c.Name): no SYNOPSIS in $pagePath." }
    if (-not $page.Description) { Write-Warning "$($c.Name): no DESCRIPTION in $pagePath." }
    if (-not ($page.Examples | Where-Object Code)) { Write-Warning "$($c.Name): no example with code in $pagePath." }
    $pages[$c.Name] = $page
}

# A binary module's help file is named after its assembly (CmdletInfo.HelpFile); group in case the
# module ever ships cmdlets from more than one assembly.
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.IndentChars = '  '
$settings.NewLineChars = "`n"
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
foreach ($group in ($cmdlets | Where-Object { $pages.ContainsKey($_.Name) } | Group-Object HelpFile)) {
    $file = Join-Path $OutputPath $group.Name
    $w = [System.Xml.XmlWriter]::Create($file, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', $ns.msh)
        $w.WriteAttributeString('schema', 'maml')
        $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
        $w.WriteAttributeString('xmlns', 'command', $null, $ns.command)
        $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
        foreach ($c in $group.Group) { Write-Command $w $c $pages[$c.Name] }
        $w.WriteEndElement()
        $w.WriteEndDocument()
    }
    finally { $w.Dispose() }
    Write-Host "Wrote $file ($($group.Count) cmdlets)"
}

$aboutSource = Join-Path $DocsPath "about_$($module.Name).md"
if (Test-Path -LiteralPath $aboutSource) {
    $aboutFile = Join-Path $OutputPath "about_$($module.Name).help.txt"
    [System.IO.File]::WriteAllText($aboutFile, (ConvertTo-AboutText $aboutSource), [System.Text.UTF8Encoding]::new($false))
    Write-Host "Wrote $aboutFile"
}
else { Write-Warning "No about topic $aboutSource." }

if ($missing.Count) {
    Write-Warning "$($missing.Count) exported cmdlet(s) have no page in ${DocsPath}: $($missing -join ', ')."
    exit 1
}
exit 0
